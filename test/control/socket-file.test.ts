import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TendError } from '../../src/core/errors.js';
import { createControlServer } from '../../src/control/server.js';
import { handler, rejection, useServer } from './fixture.js';
import { leaveStaleSocket, waitFor, within } from './helpers.js';

const fx = useServer();

describe('the socket file', () => {
  it('creates the folder 0700 and the socket 0600, and removes the socket on close', async () => {
    const old = process.umask(0o022);
    try {
      const server = await fx.serve();
      expect(fs.statSync(path.dirname(fx.sock)).mode & 0o777).toBe(0o700);
      const st = fs.statSync(fx.sock);
      expect(st.isSocket()).toBe(true);
      expect(st.mode & 0o777).toBe(0o600);
      await server.close();
      expect(fs.existsSync(fx.sock)).toBe(false);
    } finally {
      process.umask(old);
    }
  });

  it('leaves the mode of a folder it did not create', async () => {
    const shared = path.join(fx.dir, 'shared');
    fs.mkdirSync(shared, { mode: 0o755 });
    fs.chmodSync(shared, 0o755);
    fx.sock = path.join(shared, 't.sock');
    await fx.serve();
    expect(fs.statSync(shared).mode & 0o777).toBe(0o755);
  });

  it('replaces a stale socket file left by a killed daemon', async () => {
    fs.mkdirSync(path.dirname(fx.sock), { recursive: true });
    await leaveStaleSocket(fx.sock);
    expect(fs.lstatSync(fx.sock).isSocket()).toBe(true); // SIGKILL left the file behind
    await fx.serve();
    const c = await fx.client();
    expect(await c.request('echo', { fresh: 1 })).toEqual({ fresh: 1 });
  });

  it('refuses to start on a live socket, and the live one keeps serving', async () => {
    await fx.serve();
    const e = await rejection(createControlServer({ path: fx.sock, handle: handler }));
    expect(e.code).toBe('socket_in_use');
    expect(e.message).toBe(`another tend is running on ${fx.sock}`);
    const c = await fx.client();
    expect(await c.request('echo', { alive: true })).toEqual({ alive: true });
  });

  it('refuses to replace a file that is not a socket', async () => {
    fs.mkdirSync(path.dirname(fx.sock), { recursive: true });
    fs.writeFileSync(fx.sock, 'precious');
    const e = await rejection(createControlServer({ path: fx.sock, handle: handler }));
    expect(e.message).toBe(`${fx.sock} exists and is not a socket; refusing to replace it`);
    expect(fs.readFileSync(fx.sock, 'utf8')).toBe('precious');
  });

  it('refuses a path over the 107-byte unix limit with a clear error', async () => {
    const long = path.join(fx.dir, 'x'.repeat(120), 'tend.sock');
    const e = await rejection(createControlServer({ path: long, handle: handler }));
    expect(e.code).toBe('bad_socket_path');
    expect(e.message).toContain('over the 107-byte limit of unix sockets');
    expect(e.message).toContain(long);
    expect(fs.existsSync(path.dirname(long))).toBe(false);
  });

  it('close() ends every connection (and resolves streams on the server side)', async () => {
    let closed = 0;
    let started = 0;
    const server = await fx.serve({
      handle: async (_c, _a, ctx) => {
        started++;
        await ctx.closed;
        closed++;
      },
    });
    const cs = await Promise.all([fx.client(), fx.client(), fx.client()]);
    const gone = cs.map((c) => new Promise<void>((r) => c.onClose(() => r())));
    for (const c of cs) void c.stream('follow', {}, () => {}).done;
    await waitFor('three connections', () => server.connections === 3);
    await waitFor('three streams', () => started === 3);
    await within('close()', server.close());
    await within('every client to see the close', Promise.all(gone));
    expect(closed).toBe(3);
    expect(server.connections).toBe(0);
    expect(fs.existsSync(fx.sock)).toBe(false);
  });
});

describe('peers', () => {
  it('sends an allowPeer refusal to the client as an error, then closes', async () => {
    const server = await fx.serve({ allowPeer: () => "peer uid 1234 is neither the daemon's (1000) nor root" });
    const r = await fx.raw();
    expect(await r.next()).toEqual({
      id: null,
      ok: false,
      error: { code: 'forbidden', message: "peer uid 1234 is neither the daemon's (1000) nor root" },
    });
    await r.whenClosed();

    const c = await fx.client();
    let why: TendError | undefined;
    c.onClose((e) => (why = e));
    const e = await rejection(c.request('echo'));
    expect([e.code, e.message]).toEqual(['forbidden', "peer uid 1234 is neither the daemon's (1000) nor root"]);
    await waitFor('onClose', () => why !== undefined);
    expect(why!.code).toBe('forbidden');
    await waitFor('refused connections to drop', () => server.connections === 0);
  });

  it('serves peers allowPeer accepts', async () => {
    const seen: number[] = [];
    await fx.serve({
      allowPeer: (s) => {
        seen.push(s.remoteAddress === undefined ? 1 : 0);
        return undefined;
      },
    });
    const c = await fx.client();
    expect(await c.request('echo', { a: 1 })).toEqual({ a: 1 });
    expect(seen).toEqual([1]);
  });
});
