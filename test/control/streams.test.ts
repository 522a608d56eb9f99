import { describe, expect, it } from 'vitest';
import { TendError } from '../../src/core/errors.js';
import { rejection, useServer } from './fixture.js';
import { waitFor, within } from './helpers.js';

const fx = useServer();

describe('streams', () => {
  it('sends events, and resolves ctx.closed when the client goes away', async () => {
    let closedSeen = false;
    let aborted = false;
    let emit: ((e: unknown) => void) | undefined;
    const server = await fx.serve({
      handle: async (_cmd, _args, ctx) => {
        emit = ctx.send;
        ctx.send({ line: 'one' });
        ctx.send({ line: 'two' });
        await ctx.closed;
        closedSeen = true;
        aborted = ctx.signal.aborted;
        ctx.send({ line: 'after close: dropped' });
      },
    });
    const c = await fx.client();
    const events: unknown[] = [];
    const s = c.stream('logs', { name: 'web', follow: true }, (e) => events.push(e));
    await waitFor('two events', () => events.length === 2);
    emit!({ line: 'three' });
    await waitFor('three events', () => events.length === 3);
    expect(events).toEqual([{ line: 'one' }, { line: 'two' }, { line: 'three' }]);
    c.close();
    await within('the stream to resolve after close()', s.done);
    await waitFor('ctx.closed on the server', () => closedSeen);
    expect(aborted).toBe(true);
    await waitFor('no connections', () => server.connections === 0);
  });

  it('cancels one stream while the connection keeps serving', async () => {
    let closed = 0;
    await fx.serve({
      handle: async (cmd, args, ctx) => {
        if (cmd === 'echo') return args;
        ctx.send('hello');
        await ctx.closed;
        closed++;
        return 'unseen';
      },
    });
    const c = await fx.client();
    const events: unknown[] = [];
    const s = c.stream('events', { follow: true }, (e) => events.push(e));
    await waitFor('the first event', () => events.length === 1);
    s.close();
    await within('the stream to resolve', s.done);
    await waitFor('ctx.closed after cancel', () => closed === 1);
    expect(c.closed).toBe(false);
    expect(await c.request('echo', { again: 1 })).toEqual({ again: 1 });
  });

  it('ends a stream with its reply; an error reply rejects done', async () => {
    await fx.serve({
      handle: async (cmd, _args, ctx) => {
        ctx.send(1);
        ctx.send(2);
        if (cmd === 'bad') throw new TendError('unknown_service', 'no service named "x"');
        return 'end';
      },
    });
    const c = await fx.client();
    const got: unknown[] = [];
    await within('done', c.stream('logs', {}, (e) => got.push(e)).done);
    expect(got).toEqual([1, 2]);
    const e = await rejection(c.stream('bad', {}, () => {}).done);
    expect(e.code).toBe('unknown_service');
  });

  it('rejects pending requests and streams when the server closes, and tells onClose why', async () => {
    const server = await fx.serve({ handle: (_c, _a, ctx) => ctx.closed });
    const c = await fx.client();
    let why: TendError | undefined | 'none' = 'none';
    c.onClose((e) => (why = e));
    const pending = rejection(c.request('hang'));
    const s = c.stream('follow', {}, () => {});
    await waitFor('the connection to count', () => server.connections === 1);
    await server.close();
    const e1 = await pending;
    expect(e1.code).toBe('connection_lost');
    expect(e1.message).toBe(`the tend daemon on ${fx.sock} closed the connection`);
    expect((await rejection(s.done)).code).toBe('connection_lost');
    await waitFor('onClose', () => why !== 'none');
    expect((why as unknown as TendError).code).toBe('connection_lost');
    expect((await rejection(c.request('late'))).code).toBe('connection_lost');
  });
});

describe('stream limits', () => {
  it('answers cancel, sends nothing more for the cancelled id, and reports an unknown id', async () => {
    let closed = false;
    await fx.serve({
      handle: async (cmd, args, ctx) => {
        if (cmd === 'echo') return args;
        ctx.send('e1');
        await ctx.closed;
        closed = true;
        ctx.send('dropped');
        return 'dropped too';
      },
    });
    const r = await fx.raw();
    r.write('{"id":1,"cmd":"follow"}\n');
    expect(await r.next()).toEqual({ id: 1, event: 'e1' });
    r.write('{"id":2,"cmd":"cancel","args":{"id":1}}\n');
    expect(await r.next()).toEqual({ id: 2, ok: true, result: { cancelled: true } });
    await waitFor('ctx.closed after cancel', () => closed);
    r.write('{"id":3,"cmd":"cancel","args":{"id":1}}\n{"id":4,"cmd":"echo","args":{"last":1}}\n');
    expect(await r.next()).toEqual({ id: 3, ok: true, result: { cancelled: false } });
    expect(await r.next()).toEqual({ id: 4, ok: true, result: { last: 1 } });
    r.write('{"id":5,"cmd":"cancel","args":{"id":[1]}}\n');
    expect(await r.next()).toEqual({
      id: 5,
      ok: false,
      error: {
        code: 'bad_request',
        message: 'cancel: bad request: args.id: expected a number or a string (of at most 200 characters)',
      },
    });
    expect(r.lines).toHaveLength(5);
  });

  it('ends a stream whose event is over 1 MiB with a too_large error', async () => {
    let aborted = false;
    await fx.serve({
      handle: async (cmd, _a, ctx) => {
        if (cmd !== 'logs') return 'fine';
        ctx.send('small');
        ctx.send('z'.repeat(2 * 1024 * 1024));
        await ctx.closed;
        aborted = ctx.signal.aborted;
      },
    });
    const c = await fx.client();
    const got: unknown[] = [];
    const e = await rejection(c.stream('logs', {}, (ev) => got.push(ev)).done);
    expect(e.code).toBe('too_large');
    expect(e.message).toMatch(/^logs: an event of \d+ bytes exceeds the 1048576-byte line limit$/);
    expect(got).toEqual(['small']);
    await waitFor('the stream to be aborted', () => aborted);
    expect(await c.request('anything')).toBe('fine'); // the connection survives
  });

  it('skips events for a stream that falls behind, says how many in a lagged frame, and goes on in order', async () => {
    let sent = 0;
    let emitting = true;
    let send: ((e: unknown) => void) | undefined;
    const server = await fx.serve({
      highWaterBytes: 16 * 1024,
      streamQueueBytes: 16 * 1024,
      handle: async (cmd, args, ctx) => {
        if (cmd === 'echo') return args;
        send = ctx.send;
        const pad = 'l'.repeat(1000);
        while (!ctx.signal.aborted && sent < 20_000) {
          ctx.send({ n: sent++, pad });
          if (sent % 64 === 0) await new Promise((r) => setImmediate(r));
        }
        emitting = false;
        await ctx.closed;
      },
    });
    const r = await fx.raw();
    r.socket.pause();
    r.write('{"id":1,"cmd":"follow"}\n');
    await waitFor('every event to be offered', () => !emitting, 20_000);
    // the slow client costs nothing to the others
    const c = await fx.client();
    expect(await c.request('echo', { ok: true })).toEqual({ ok: true });
    r.socket.resume();
    await waitFor('the lagged frame', () => r.lines.some((f) => (f as { lagged?: number }).lagged !== undefined), 20_000);
    // the stream goes on: an event sent once the client caught up is delivered (the lagged frame
    // seen may stand between queued events, and an event sent while the queue is still full is
    // skipped too, so more are sent until one arrives)
    let total = 20_000;
    const frames = r.lines as Array<{ id: number; event?: { n: number }; lagged?: number }>;
    await waitFor(
      'an event after the lag',
      () => {
        if (frames.some((f) => (f.event?.n ?? 0) >= 20_000)) return true;
        send!({ n: total++ });
        return false;
      },
      20_000,
    );
    // every event is either delivered or counted, in order: a lagged frame stands where they were skipped
    const accounted = (): number => frames.reduce((n, f) => n + (f.lagged ?? 1), 0);
    await waitFor('every event delivered or counted', () => accounted() === total, 20_000);
    let next = 0;
    let lagged = 0;
    for (const f of frames) {
      expect(f.id).toBe(1);
      if (f.lagged !== undefined) {
        expect(f.lagged).toBeGreaterThan(0);
        next += f.lagged;
        lagged += f.lagged;
      } else {
        expect(f.event!.n).toBe(next);
        next++;
      }
    }
    expect(next).toBe(total);
    // 20 MB were offered; what piles up behind the client is two small buffers and the kernel's
    expect(lagged).toBeGreaterThan(15_000);
    expect(fx.errors).toEqual([]);
    expect(server.connections).toBe(2);
  });
});
