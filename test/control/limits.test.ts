// The connection's bounds on a real socket: requests in flight (`busy`), replies too large for a
// line (sent in parts and joined by the client), backlogs that flow as the client reads, and
// requests nested too deep to parse.
import { describe, expect, it } from 'vitest';
import { rejection, useServer } from './fixture.js';
import { waitFor, within } from './helpers.js';

const fx = useServer();

type Frame = {
  id: unknown;
  ok?: boolean;
  result?: any;
  error?: { code: string; message: string };
  part?: Record<string, unknown[]>;
  event?: unknown;
};

describe('requests in flight', () => {
  it('answers busy past the bound of a connection, and again once one is answered', async () => {
    const release: Array<() => void> = [];
    await fx.serve({
      maxInflight: { perConnection: 3, total: 100 },
      handle: async (cmd, args) => {
        if (cmd === 'wait') await new Promise<void>((r) => release.push(r));
        return args;
      },
    });
    const r = await fx.raw();
    r.write(
      '{"id":1,"cmd":"wait"}\n{"id":2,"cmd":"wait"}\n{"id":3,"cmd":"wait"}\n{"id":4,"cmd":"wait"}\n{"id":5,"cmd":"cancel","args":{"id":99}}\n',
    );
    expect(await r.next()).toEqual({
      id: 4,
      ok: false,
      error: {
        code: 'busy',
        message: 'wait: 3 requests are in flight on this connection, the most allowed; send more once some are answered',
      },
    });
    // cancel is not a request in flight: it is always answered
    expect(await r.next()).toEqual({ id: 5, ok: true, result: { cancelled: false } });
    await waitFor('three handlers', () => release.length === 3);
    release.shift()!();
    expect(await r.next()).toEqual({ id: 1, ok: true, result: {} });
    r.write('{"id":6,"cmd":"echo","args":{"x":1}}\n');
    expect(await r.next()).toEqual({ id: 6, ok: true, result: { x: 1 } });
    for (const go of release.splice(0)) go();
  });

  it('answers busy past the bound of the whole server, whichever connection asks', async () => {
    let started = 0;
    await fx.serve({
      maxInflight: { perConnection: 10, total: 2 },
      handle: async (cmd, args, ctx) => {
        if (cmd === 'status') return args;
        started++;
        await ctx.closed; // a stream counts while it runs
        return null;
      },
    });
    const a = await fx.client();
    const b = await fx.client();
    const s1 = a.stream('logs', { names: ['x'], follow: true }, () => {});
    const s2 = b.stream('events', { follow: true }, () => {});
    await waitFor('two streams', () => started === 2);
    const e = await rejection(b.request('status', {}));
    expect(e.code).toBe('busy');
    expect(e.message).toBe('status: 2 requests are in flight on this daemon, the most allowed; try again shortly');
    s1.close();
    await within(
      'a slot to free',
      (async () => {
        for (;;) {
          try {
            return await b.request('status', {});
          } catch {
            await new Promise((r) => setTimeout(r, 10));
          }
        }
      })(),
    );
    s2.close();
  });

  it('stops reading a client that sends without reading, and answers every request once it reads', async () => {
    let handled = 0;
    await fx.serve({
      highWaterBytes: 16 * 1024,
      handle: async (_cmd, args) => {
        handled++;
        return { pad: 'p'.repeat(2048), args };
      },
    });
    const r = await fx.raw();
    r.socket.pause();
    const N = 20_000;
    const pad = 'q'.repeat(2000); // 40 MB of requests: far more than the kernel holds between us
    let batch = '';
    for (let i = 1; i <= N; i++) batch += `{"id":${i},"cmd":"echo","args":{"pad":"${pad}"}}\n`;
    r.write(batch);
    await settled(() => r.socket.writableLength);
    expect(r.socket.writableLength).toBeGreaterThan(0); // the server does not read on
    expect(handled).toBeLessThan(N);
    r.socket.resume();
    await waitFor('an answer to every request', () => r.lines.length === N, 120_000);
    const frames = r.lines as Frame[];
    expect(new Set(frames.map((f) => f.id)).size).toBe(N);
    expect(frames.every((f) => f.ok === true || f.error?.code === 'busy')).toBe(true);
  });
});

/** Waits until `value()` stops changing for half a second (at most 15 s). */
async function settled(value: () => number): Promise<void> {
  let last = value();
  let since = Date.now();
  const end = Date.now() + 15_000;
  while (Date.now() - since < 500 && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    const now = value();
    if (now !== last) {
      last = now;
      since = Date.now();
    }
  }
}

describe('large replies', () => {
  const rows = Array.from({ length: 20_000 }, (_, i) => ({ name: `web.${i}`, state: 'running', detail: 'd'.repeat(80) }));

  it('sends a result over the line limit as parts and a final reply; the client gets the whole result', async () => {
    await fx.serve({ handle: async () => ({ services: rows, config_error: null }) });
    const c = await fx.client();
    const got = await c.request('status', {});
    expect(got).toEqual({ services: rows, config_error: null });

    const r = await fx.raw();
    r.write('{"id":"big","cmd":"status"}\n');
    await waitFor('the final reply', () => (r.lines as Frame[]).some((f) => f.ok !== undefined), 20_000);
    const frames = r.lines as Frame[];
    const parts = frames.filter((f) => f.part);
    expect(parts.length).toBeGreaterThan(4);
    expect(frames.at(-1)).toEqual({ id: 'big', ok: true, result: { services: [], config_error: null } });
    for (const p of parts) {
      expect(p.id).toBe('big');
      expect(Object.keys(p.part!)).toEqual(['services']);
      expect(JSON.stringify(p).length).toBeLessThan(300 * 1024);
    }
    expect(parts.flatMap((p) => p.part!.services)).toEqual(rows);
  });

  it('keeps a reply that fits a line in one line, byte for byte what JSON.stringify writes', async () => {
    const result = { b: 1, services: rows.slice(0, 100), u: undefined, text: 'x', empty: [] };
    await fx.serve({ handle: async () => result });
    const r = await fx.raw();
    r.write('{"id":7,"cmd":"status"}\n');
    expect(await r.next()).toEqual(JSON.parse(JSON.stringify({ id: 7, ok: true, result })));
    expect(r.lines).toHaveLength(1);
  });

  it('sends parts as the client reads, and nothing more once the request is cancelled', async () => {
    let encoded = 0;
    const counted = Array.from({ length: 40_000 }, (_, i) => ({ toJSON: () => (encoded++, { n: i, pad: 'c'.repeat(80) }) }));
    let signal: AbortSignal | undefined;
    await fx.serve({
      highWaterBytes: 16 * 1024,
      handle: async (cmd, args, ctx) => {
        if (cmd === 'echo') return args;
        signal = ctx.signal;
        return { services: counted };
      },
    });
    const r = await fx.raw();
    r.socket.pause();
    r.write('{"id":1,"cmd":"status"}\n');
    await waitFor('the reply to begin', () => encoded > 0);
    r.write('{"id":2,"cmd":"cancel","args":{"id":1}}\n');
    await waitFor('the cancel to reach the request', () => signal?.aborted === true);
    const atCancel = encoded;
    expect(atCancel).toBeLessThan(counted.length); // the rest waited for the client to read
    r.socket.resume();
    r.write('{"id":3,"cmd":"echo","args":{"after":true}}\n');
    await waitFor('the echo after the cancel', () => (r.lines as Frame[]).some((f) => f.id === 3), 10_000);
    const frames = r.lines as Frame[];
    const cancelAt = frames.findIndex((f) => f.id === 2);
    expect(frames[cancelAt]).toEqual({ id: 2, ok: true, result: { cancelled: true } });
    expect(frames.slice(cancelAt).filter((f) => f.id === 1)).toEqual([]);
    expect(frames.filter((f) => f.id === 1 && f.ok !== undefined)).toEqual([]);
    expect(encoded).toBe(atCancel);
  });

  it('answers too_large when one item alone cannot fit a line', async () => {
    await fx.serve({ handle: async (cmd) => (cmd === 'logs' ? { lines: ['ok', 'x'.repeat(1024 * 1024 + 1)] } : 'fine') });
    const c = await fx.client();
    const e = await rejection(c.request('logs', { names: ['x'] }));
    expect(e.code).toBe('too_large');
    expect(e.message).toMatch(/^logs: an item of \d+ bytes \(in "lines"\) exceeds the 1048576-byte line limit$/);
    expect(await c.request('echo', {})).toBe('fine');
  });
});

describe('backlogs', () => {
  it('sends a backlog as fast as the client reads, before any live event and without skipping', async () => {
    let live: ((e: unknown) => void) | undefined;
    const past = Array.from({ length: 5000 }, (_, i) => ({ n: i, pad: 'b'.repeat(500) })); // 2.5 MB
    await fx.serve({
      highWaterBytes: 16 * 1024,
      streamQueueBytes: 16 * 1024,
      handle: async (_c, _a, ctx) => {
        ctx.backlog(past);
        live = ctx.send;
        ctx.send({ n: 5000 });
        await ctx.closed;
      },
    });
    const c = await fx.client();
    const got: Array<{ n: number }> = [];
    let lagged = 0;
    const s = c.stream(
      'events',
      { follow: true },
      (e) => got.push(e as { n: number }),
      (n) => (lagged += n),
    );
    await waitFor('the backlog and the first live event', () => got.length === 5001, 20_000);
    live!({ n: 5001 });
    await waitFor('a later live event', () => got.length === 5002);
    expect(got.map((e) => e.n)).toEqual(Array.from({ length: 5002 }, (_, i) => i));
    expect(lagged).toBe(0);
    s.close();
  });
});

describe('nesting', () => {
  it('refuses a request nested deeper than 32 before parsing it, and keeps serving', async () => {
    await fx.serve();
    const r = await fx.raw();
    r.write('['.repeat(100_000) + '\n' + '{"id":1,"cmd":"echo","args":{"a":' + '['.repeat(40) + ']'.repeat(40) + '}}\n');
    const refusal = {
      id: null,
      ok: false,
      error: { code: 'bad_request', message: 'a request may nest arrays and objects at most 32 deep' },
    };
    expect(await r.next()).toEqual(refusal);
    expect(await r.next()).toEqual(refusal);
    // brackets inside strings do not count; 32 levels are fine
    const ok =
      '{"id":2,"cmd":"echo","args":{"s":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\"[[","a":' +
      '['.repeat(30) +
      ']'.repeat(30) +
      '}}\n';
    r.write(ok);
    const reply = (await r.next()) as Frame;
    expect(reply.ok).toBe(true);
    expect(reply.result.s).toBe('[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["[[');
  });
});
