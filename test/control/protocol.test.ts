import { describe, expect, it } from 'vitest';
import { socketPathProblem } from '../../src/control/limits.js';
import { LineSplitter } from '../../src/control/lines.js';
import { parseRequest } from '../../src/control/protocol.js';

function split(chunks: Buffer[], max?: number): { lines: string[]; overflow: number[] } {
  const lines: string[] = [];
  const overflow: number[] = [];
  const s = new LineSplitter(
    (l) => lines.push(l),
    (n) => overflow.push(n),
    max,
  );
  for (const c of chunks) s.push(c);
  return { lines, overflow };
}

describe('LineSplitter', () => {
  it('splits lines across chunks and keeps a partial line until its newline', () => {
    const r = split([Buffer.from('{"a":1}\n{"b"'), Buffer.from(':2}\n{"c":'), Buffer.from('3}')]);
    expect(r.lines).toEqual(['{"a":1}', '{"b":2}']);
    expect(r.overflow).toEqual([]);
  });

  it('joins a multi-byte UTF-8 character cut between chunks, and drops a trailing \\r', () => {
    const bytes = Buffer.from('"héllo ✓"\r\n');
    const cut = bytes.indexOf(0xa9); // inside "é" (c3 a9)
    const r = split([bytes.subarray(0, cut), bytes.subarray(cut)]);
    expect(r.lines).toEqual(['"héllo ✓"']);
  });

  it('accepts a line of exactly the limit and refuses one byte more, once, then ignores input', () => {
    expect(split([Buffer.from('x'.repeat(8) + '\n')], 8)).toEqual({ lines: ['x'.repeat(8)], overflow: [] });
    const r = split([Buffer.from('x'.repeat(5)), Buffer.from('x'.repeat(4)), Buffer.from('\nok\n')], 8);
    expect(r).toEqual({ lines: [], overflow: [9] });
  });

  it('refuses an oversized line even when it never ends', () => {
    const r = split([Buffer.alloc(2 * 1024 * 1024, 0x61)]);
    expect(r.overflow).toEqual([2 * 1024 * 1024]);
  });
});

describe('parseRequest', () => {
  it('accepts a request and defaults args to {}', () => {
    expect(parseRequest('{"id":1,"cmd":"status"}')).toEqual({ ok: true, request: { id: 1, cmd: 'status', args: {} } });
    expect(parseRequest('{"id":"a","cmd":"logs","args":{"name":"web"}}')).toEqual({
      ok: true,
      request: { id: 'a', cmd: 'logs', args: { name: 'web' } },
    });
  });

  it('says "malformed JSON" with id null for unparsable text', () => {
    const r = parseRequest('{"id":1,');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.id).toBeNull();
    expect(r.error.code).toBe('bad_request');
    expect(r.error.message).toMatch(/^malformed JSON: /);
  });

  it('refuses non-objects', () => {
    const r = parseRequest('[1,2]');
    expect(r).toEqual({
      ok: false,
      id: null,
      error: { code: 'bad_request', message: 'a request must be a JSON object; got an array' },
    });
  });

  it('names the wrong field, and keeps a usable id', () => {
    const r = parseRequest('{"id":7,"cmd":42}');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.id).toBe(7);
    expect(r.error.code).toBe('bad_request');
    expect(r.error.message).toMatch(/^bad request: cmd: /);

    const r2 = parseRequest('{"id":true,"cmd":"status","args":[]}');
    expect(r2.ok).toBe(false);
    if (r2.ok) return;
    expect(r2.id).toBeNull();
    expect(r2.error.message).toMatch(/id: .*; args: /);
  });

  it('checks every field of the frame by hand, with the same words each time', () => {
    const bad = (line: string) => {
      const r = parseRequest(line);
      if (r.ok) throw new Error(`accepted ${line}`);
      return [r.id, r.error.message];
    };
    expect(bad('{"id":1,"cmd":""}')).toEqual([1, 'bad request: cmd: expected a command name of 1 to 100 characters']);
    expect(bad(`{"id":1,"cmd":"${'x'.repeat(101)}"}`)).toEqual([
      1,
      'bad request: cmd: expected a command name of 1 to 100 characters',
    ]);
    expect(bad(`{"id":"${'i'.repeat(201)}","cmd":"status"}`)).toEqual([
      null,
      'bad request: id: expected a number or a string (of at most 200 characters)',
    ]);
    expect(bad('{"cmd":"status"}')).toEqual([null, 'bad request: id: expected a number or a string (of at most 200 characters)']);
    expect(bad('{"id":2,"cmd":"status","args":null}')).toEqual([2, 'bad request: args: expected an object']);
    expect(bad('{"id":2,"cmd":"status","args":"x"}')).toEqual([2, 'bad request: args: expected an object']);
    expect(bad('{"id":null}')).toEqual([
      null,
      'bad request: id: expected a number or a string (of at most 200 characters); cmd: expected a command name (a string)',
    ]);
    // 1e999 is Infinity after JSON.parse: not a usable id
    expect(bad('{"id":1e999,"cmd":"status"}')[0]).toBeNull();
    expect(parseRequest(`{"id":"${'i'.repeat(200)}","cmd":"${'x'.repeat(100)}"}`).ok).toBe(true);
    expect(parseRequest('{"id":-1.5,"cmd":"s","args":{}}')).toEqual({ ok: true, request: { id: -1.5, cmd: 's', args: {} } });
    expect(parseRequest('{"id":3,"cmd":"s"}')).toEqual({ ok: true, request: { id: 3, cmd: 's', args: {} } });
  });
});

describe('socketPathProblem', () => {
  it('allows 107 bytes and refuses 108 with the length and the path', () => {
    expect(socketPathProblem('/' + 'a'.repeat(106))).toBeUndefined();
    const long = '/' + 'a'.repeat(107);
    expect(socketPathProblem(long)).toMatch(/^socket path is 108 bytes, over the 107-byte limit of unix sockets: \/a+ /);
  });
});
