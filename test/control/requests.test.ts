import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { rejection, useServer } from './fixture.js';
import { waitFor } from './helpers.js';

const fx = useServer();

describe('requests and replies', () => {
  it('answers a request with its result, and null for undefined', async () => {
    await fx.serve();
    const r = await fx.raw();
    r.write('{"id":1,"cmd":"echo","args":{"x":[1,"two"]}}\n');
    expect(await r.next()).toEqual({ id: 1, ok: true, result: { x: [1, 'two'] } });
    r.write('{"id":"s","cmd":"nothing"}\n');
    expect(await r.next()).toEqual({ id: 's', ok: true, result: null });
  });

  it('turns a TendError into its code, any other throw into "internal"', async () => {
    await fx.serve();
    const c = await fx.client();
    const e1 = await rejection(c.request('fail', { name: 'wbe' }));
    expect([e1.code, e1.message]).toEqual(['unknown_service', 'no service named "wbe"']);
    const e2 = await rejection(c.request('crash'));
    expect([e2.code, e2.message]).toEqual(['internal', 'crash: boom']);
    expect(fx.errors.some((m) => m.startsWith('crash: internal error: Error: boom'))).toBe(true);
    // the connection still serves
    expect(await c.request('echo', { ok: 1 })).toEqual({ ok: 1 });
  });

  it('runs requests of one connection concurrently: replies come in completion order', async () => {
    await fx.serve();
    const r = await fx.raw();
    r.write('{"id":1,"cmd":"sleep","args":{"ms":300}}\n{"id":2,"cmd":"sleep","args":{"ms":10}}\n{"id":3,"cmd":"echo"}\n');
    const got = [await r.next(), await r.next(), await r.next()];
    expect(got.map((f) => (f as { id: number }).id)).toEqual([3, 2, 1]);

    const c = await fx.client();
    const started = Date.now();
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => c.request('sleep', { ms: 1000 + i })));
    expect(results).toEqual([1, 2, 3, 4, 5].map((i) => ({ slept: 1000 + i })));
    // five 1 s sleeps in series would take over 5 s; at once, about 1 s (a margin no load closes)
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('serves 50 clients at once', async () => {
    const server = await fx.serve();
    const cs = await Promise.all(Array.from({ length: 50 }, () => fx.client()));
    await waitFor('50 connections', () => server.connections === 50);
    const results = await Promise.all(cs.map((c, i) => c.request('echo', { i })));
    expect(results).toEqual(cs.map((_, i) => ({ i })));
    for (const c of cs) c.close();
    await waitFor('connections to drop', () => server.connections === 0);
  });

  it('refuses a request id already in flight on the connection', async () => {
    await fx.serve();
    const r = await fx.raw();
    r.write('{"id":9,"cmd":"sleep","args":{"ms":200}}\n{"id":9,"cmd":"echo"}\n');
    expect(await r.next()).toEqual({
      id: 9,
      ok: false,
      error: { code: 'bad_request', message: 'request id 9 is already in flight on this connection' },
    });
    expect(await r.next()).toEqual({ id: 9, ok: true, result: { slept: 200 } });
  });
});

describe('bad input', () => {
  it('answers malformed JSON with id null, then serves the next line', async () => {
    await fx.serve();
    const r = await fx.raw();
    r.write('{"id": 1, "cmd": \n');
    const f = (await r.next()) as { id: null; ok: false; error: { code: string; message: string } };
    expect(f.id).toBeNull();
    expect(f.ok).toBe(false);
    expect(f.error.code).toBe('bad_request');
    expect(f.error.message).toMatch(/^malformed JSON: /);
    r.write('{"id":2,"cmd":"echo","args":{"after":true}}\n');
    expect(await r.next()).toEqual({ id: 2, ok: true, result: { after: true } });
  });

  it('refuses an unknown command, from the handler or from the command table', async () => {
    await fx.serve();
    const c = await fx.client();
    const e1 = await rejection(c.request('frobnicate'));
    expect([e1.code, e1.message]).toEqual(['unknown_command', 'unknown command "frobnicate"']);
    await fx.servers.pop()!.close();

    let called = 0;
    await fx.serve({
      commands: { status: null, logs: z.object({ name: z.string(), lines: z.number().int().optional() }) },
      handle: async (cmd, args) => {
        called++;
        return { cmd, args };
      },
    });
    const c2 = await fx.client();
    const e2 = await rejection(c2.request('frobnicate'));
    expect([e2.code, e2.message]).toEqual(['unknown_command', 'unknown command "frobnicate" (known: cancel, logs, status)']);
    // inherited Object keys are not commands
    expect((await rejection(c2.request('toString'))).code).toBe('unknown_command');
    expect(called).toBe(0);
    expect(await c2.request('status', { any: 'thing' })).toEqual({ cmd: 'status', args: { any: 'thing' } });
  });

  it('refuses wrong argument types naming the field', async () => {
    await fx.serve({
      commands: { logs: z.object({ name: z.string(), lines: z.number().int().optional() }) },
      handle: async (_cmd, args) => args,
    });
    const c = await fx.client();
    const e = await rejection(c.request('logs', { name: 5, lines: 'ten' }));
    expect(e.code).toBe('bad_request');
    expect(e.message).toMatch(/^logs: bad request: args\.name: .*expected string.*; args\.lines: .*expected number/);
    expect(await c.request('logs', { name: 'web', lines: 3 })).toEqual({ name: 'web', lines: 3 });

    // the frame's own fields are checked too
    const r = await fx.raw();
    r.write('{"id":4,"cmd":"logs","args":"web"}\n');
    const f = (await r.next()) as { id: number; error: { code: string; message: string } };
    expect(f.id).toBe(4);
    expect(f.error.code).toBe('bad_request');
    expect(f.error.message).toMatch(/^bad request: args: /);
  });

  it('maps a ZodError thrown by the handler to bad_request', async () => {
    await fx.serve({ handle: async (_c, args) => z.object({ n: z.number() }).parse(args) });
    const c = await fx.client();
    const e = await rejection(c.request('x', { n: 'no' }));
    expect(e.code).toBe('bad_request');
    expect(e.message).toMatch(/^x: bad request: args\.n: /);
  });

  it('answers a 2 MiB line with an error and closes that connection; the server keeps serving', async () => {
    const server = await fx.serve();
    const bystander = await fx.client();
    const r = await fx.raw();
    const big = '{"id":1,"cmd":"echo","args":{"pad":"' + 'x'.repeat(2 * 1024 * 1024) + '"}}\n';
    r.write(big);
    expect(await r.next()).toEqual({
      id: null,
      ok: false,
      error: { code: 'too_large', message: 'a request line is over the 1048576-byte (1 MiB) limit; closing the connection' },
    });
    await r.whenClosed();
    expect(await bystander.request('echo', { still: 'here' })).toEqual({ still: 'here' });
    const fresh = await fx.client();
    expect(await fresh.request('echo', { fresh: true })).toEqual({ fresh: true });
    await waitFor('the big connection to be forgotten', () => server.connections === 2);
  });

  it('replaces a reply over 1 MiB with a too_large error', async () => {
    await fx.serve({ handle: async () => 'y'.repeat(1024 * 1024 + 10) });
    const c = await fx.client();
    const e = await rejection(c.request('big'));
    expect(e.code).toBe('too_large');
    expect(e.message).toMatch(/^big: a reply of \d+ bytes exceeds the 1048576-byte line limit$/);
  });
});
