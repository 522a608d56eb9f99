// The writing side of a connection (src/control/outbox.ts): the lines written in one callback go
// out together (the socket corked until it is done), whole and in order.
import * as net from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox } from '../../src/control/outbox.js';
import { encodeEvent, encodeFrame, sharedEvent } from '../../src/control/protocol.js';
import { tmpDir } from '../helpers/tmp.js';
import { waitFor } from './helpers.js';

const closers: Array<() => void> = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

/** A connected pair of real Unix sockets: the daemon's end and what the client received. */
async function pair(): Promise<{ socket: net.Socket; received: () => string }> {
  const path = join(tmpDir('tend-outbox-'), 's.sock');
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const client = net.connect(path);
  let text = '';
  client.setEncoding('utf8');
  client.on('data', (d: string) => {
    text += d;
  });
  const socket = await accepted;
  closers.push(() => {
    client.destroy();
    socket.destroy();
    server.close();
  });
  return { socket, received: () => text };
}

const options = { highWater: 1 << 20, streamQueue: 1 << 20, pauseAt: 2 << 20, onFull: () => {} };

describe('Outbox', () => {
  it('holds the lines a callback writes and sends them in one write after it, whole and in order', async () => {
    const { socket, received } = await pair();
    let writes = 0;
    const write = socket.write.bind(socket);
    socket.write = ((...args: Parameters<typeof write>) => {
      writes++;
      return write(...args);
    }) as typeof socket.write;
    const box = new Outbox(socket, options);
    const out = box.open(7, (e) => encodeEvent(7, e));
    const lines = Array.from({ length: 2000 }, (_, i) => ({ line: `line ${i}` }));
    for (const l of lines) out.send(l);
    expect(writes).toBe(0); // nothing yet: one write for them all once this callback is done
    await new Promise((resolve) => process.nextTick(resolve));
    expect(writes).toBe(1);
    const want = lines.map((l) => encodeFrame({ id: 7, event: l })).join('');
    await waitFor('every line at the client', () => received().length >= want.length);
    expect(received()).toBe(want);
    // a later callback's lines follow, in a write of their own
    box.writeNow(encodeFrame({ id: 7, ok: true, result: null }));
    expect(writes).toBe(1);
    await waitFor('the reply at the client', () => received().endsWith('"result":null}\n'));
    expect(writes).toBe(2);
  });

  it('sends what it holds when the connection closes (an error frame, then the end)', async () => {
    const { socket, received } = await pair();
    const box = new Outbox(socket, options);
    box.writeNow(encodeFrame({ id: null, ok: false, error: { code: 'forbidden', message: 'no' } }));
    box.close();
    socket.end();
    await waitFor('the error at the client', () => received().includes('"forbidden"'));
  });

  it('counts what it holds against the high-water mark: a source waits, and goes on after the drain', async () => {
    const { socket, received } = await pair();
    const box = new Outbox(socket, { ...options, highWater: 4096 });
    const out = box.open(1, (e) => encodeEvent(1, e));
    const lines = Array.from({ length: 500 }, (_, i) => ({ line: `${i}`.padStart(100, '.') }));
    out.backlog(lines); // written as the socket takes them
    expect(box.ready).toBe(false); // held past 4 KiB, before any write
    const want = lines.map((l) => encodeFrame({ id: 1, event: l })).join('');
    await waitFor('the whole backlog at the client', () => received().length >= want.length);
    expect(received()).toBe(want);
  });
});

describe('the bound all streams share', () => {
  it('a stream skips once all of them together queued the shared bound; a closed connection gives its share back', async () => {
    const shared = { queued: 0, max: 8 * 1024 };
    const opts = { highWater: 1024, streamQueue: 1 << 20, pauseAt: 2 << 20, onFull: () => {}, shared };
    const a = await pair();
    const b = await pair();
    const boxA = new Outbox(a.socket, opts);
    const boxB = new Outbox(b.socket, opts);
    const outA = boxA.open(1, (e) => encodeEvent(1, e));
    const outB = boxB.open(2, (e) => encodeEvent(2, e));
    const pad = 'x'.repeat(300);
    for (let i = 0; i < 3000; i++) outA.send({ i, pad });
    // A alone, with a bound of its own of 1 MiB, stopped at the shared 8 KiB
    expect(shared.queued).toBeGreaterThanOrEqual(shared.max);
    expect(shared.queued).toBeLessThan(shared.max + 400);
    const full = shared.queued;
    for (let i = 0; i < 100; i++) outB.send({ i, pad });
    expect(shared.queued).toBe(full); // B wrote its first lines and skipped the rest
    // A's connection goes: its share comes back, and B may queue again
    boxA.close();
    expect(shared.queued).toBe(0);
    for (let i = 0; i < 100; i++) outB.send({ i, pad });
    expect(shared.queued).toBeGreaterThan(0);
    boxB.close();
    expect(shared.queued).toBe(0);
  });

  it('a stream whose client reads is not held back by a shared bound that others filled: each event arrives or is counted', async () => {
    const shared = { queued: 8 * 1024, max: 8 * 1024 }; // full: streams elsewhere do not read
    const { socket, received } = await pair();
    const box = new Outbox(socket, { highWater: 1024, streamQueue: 1 << 20, pauseAt: 2 << 20, onFull: () => {}, shared });
    const out = box.open(3, (e) => encodeEvent(3, e));
    for (let batch = 0; batch < 20; batch++) {
      for (let i = 0; i < 50; i++) out.send({ n: batch * 50 + i });
      await new Promise((r) => setTimeout(r, 5));
    }
    out.send({ n: 'last' });
    const count = (): number =>
      received()
        .split('\n')
        .filter(Boolean)
        .reduce((n, l) => {
          const f = JSON.parse(l) as { lagged?: number; event?: { n: unknown } };
          return n + (f.lagged ?? 1);
        }, 0);
    await waitFor('every event delivered or counted', () => count() === 1001);
    expect(received()).toContain('"n":"last"');
    expect(shared.queued).toBe(8 * 1024); // it queued nothing of its own past the bound
  });
});

describe("an event sent always (a follower's where)", () => {
  it('is queued past a full stream queue and a full shared bound, after the lag of what was skipped', async () => {
    const shared = { queued: 8 * 1024, max: 8 * 1024 }; // full
    const { socket, received } = await pair();
    const box = new Outbox(socket, { highWater: 1024, streamQueue: 4096, pauseAt: 2 << 20, onFull: () => {}, shared });
    const out = box.open(4, (e) => encodeEvent(4, e));
    const pad = 'x'.repeat(300);
    for (let i = 0; i < 200; i++) out.send({ i, pad }); // the socket takes some, the rest is skipped
    out.send({ where: 'here' }, true);
    out.send({ after: true }); // still skipped: only `always` passes the bounds
    await waitFor('the where to arrive', () => received().includes('"where":"here"'));
    const frames = received()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { lagged?: number; event?: Record<string, unknown> });
    const at = frames.findIndex((f) => f.event?.where === 'here');
    expect(frames[at - 1]!.lagged).toBeGreaterThan(0); // said before it: what was skipped
    expect(frames.slice(0, at).reduce((n, f) => n + (f.lagged ?? 1), 0)).toBe(200);
    expect(received()).not.toContain('"after"');
  });
});

describe('encodeEvent', () => {
  it('is encodeFrame({ id, event }) byte for byte, shared or not', () => {
    const events = [{ time: 't', service: 'web', stream: 'stdout', line: 'a "quoted" ✓ line\n' }, { n: 1 }];
    for (const id of [1, 'req-"x"', 0]) {
      for (const e of events) {
        expect(encodeEvent(id, e)).toBe(encodeFrame({ id, event: e }));
        expect(encodeEvent(id, sharedEvent({ ...e }))).toBe(encodeFrame({ id, event: e }));
      }
    }
    expect(encodeEvent(3, 'text')).toBe(encodeFrame({ id: 3, event: 'text' }));
  });

  it("encodes a shared event once for every stream: the follower's line as it was when first sent", () => {
    const e = sharedEvent({ line: 'first' });
    const one = encodeEvent(1, e);
    e.line = 'changed'; // a shared event never changes; were it to, the streams still agree
    expect(encodeEvent(2, e)).toBe(one.replace('{"id":1', '{"id":2'));
    const plain = { line: 'first' };
    encodeEvent(1, plain);
    plain.line = 'changed';
    expect(encodeEvent(2, plain)).toContain('changed');
  });
});
