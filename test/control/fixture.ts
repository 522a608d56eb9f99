// A per-test control server fixture: a fresh socket path, servers and clients closed after each test.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import { TendError } from '../../src/core/errors.js';
import { connect, type Client } from '../../src/control/client.js';
import { createControlServer, type ControlServer, type ControlServerOptions, type Handler } from '../../src/control/server.js';
import { rawConnect, tmpDir, type RawClient } from './helpers.js';

/** A handler with a few commands: echo, sleep (ms), fail (TendError), crash (plain Error), nothing. */
export const handler: Handler = async (cmd, args) => {
  switch (cmd) {
    case 'echo':
      return args;
    case 'sleep':
      await new Promise((r) => setTimeout(r, Number(args.ms)));
      return { slept: args.ms };
    case 'fail':
      throw new TendError('unknown_service', `no service named "${String(args.name)}"`);
    case 'crash':
      throw new Error('boom');
    case 'nothing':
      return undefined;
    default:
      throw new TendError('unknown_command', `unknown command "${cmd}"`);
  }
};

/** Expects `p` to reject with a TendError and returns it. */
export async function rejection(p: Promise<unknown>): Promise<TendError> {
  const err = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TendError);
  return err as TendError;
}

export interface ServerFixture {
  dir: string;
  /** the socket path for this test (a not-yet-existing "run" folder in dir); tests may change it */
  sock: string;
  /** what servers reported through onError */
  errors: string[];
  servers: ControlServer[];
  serve(extra?: Partial<ControlServerOptions>): Promise<ControlServer>;
  client(p?: string): Promise<Client>;
  raw(p?: string): Promise<RawClient>;
}

/** Registers before/after hooks and returns the fixture the current test uses. */
export function useServer(): ServerFixture {
  const clients: Array<Client | RawClient> = [];
  const f: ServerFixture = {
    dir: '',
    sock: '',
    errors: [],
    servers: [],
    async serve(extra = {}) {
      const s = await createControlServer({ path: f.sock, handle: handler, onError: (m) => f.errors.push(m), ...extra });
      f.servers.push(s);
      return s;
    },
    async client(p = f.sock) {
      const c = await connect(p);
      clients.push(c);
      return c;
    },
    async raw(p = f.sock) {
      const r = await rawConnect(p);
      clients.push(r);
      return r;
    },
  };
  beforeEach(() => {
    f.dir = tmpDir();
    f.sock = path.join(f.dir, 'run', 'tend.sock');
    f.errors = [];
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) {
      if ('socket' in c) c.socket.destroy();
      else c.close();
    }
    await Promise.all(f.servers.splice(0).map((s) => s.close()));
    fs.rmSync(f.dir, { recursive: true, force: true });
  });
  return f;
}
