// Test helpers for the control socket: temp folders, deadline waits, a raw line-level socket client.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** A fresh temp folder (short path: unix socket paths are limited to 107 bytes). */
export function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tendc-'));
}

/** Waits until `cond()` is true, or fails naming `what` after `ms`. */
export async function waitFor(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Leaves a stale socket file at `p`, as a killed daemon does: a node child listens there and is
 * killed with SIGKILL once it listens (the file stays behind).
 */
export async function leaveStaleSocket(p: string): Promise<void> {
  const child = spawn(
    process.execPath,
    ['-e', `require('net').createServer().listen(${JSON.stringify(p)}, () => console.log('up'))`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exited = new Promise((r) => child.once('exit', r));
  try {
    await waitFor('the stand-in daemon to listen', () => out.includes('up'));
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

/** Rejects if `p` does not settle within `ms`. */
export function within<T>(what: string, p: Promise<T>, ms = 5000): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, reject) => {
      t = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]);
}

/** A bare socket that writes raw bytes and collects parsed reply lines: to test the server's exact frames. */
export interface RawClient {
  socket: net.Socket;
  lines: unknown[];
  closed: boolean;
  write(data: string | Buffer): void;
  /** the next frame not yet taken */
  next(ms?: number): Promise<unknown>;
  /** resolves when the server closes the connection */
  whenClosed(ms?: number): Promise<void>;
}

export async function rawConnect(socketPath: string): Promise<RawClient> {
  const socket = net.connect(socketPath);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let buf = '';
  let taken = 0;
  const raw: RawClient = {
    socket,
    lines: [],
    closed: false,
    write: (data) => {
      socket.write(data);
    },
    async next(ms = 5000) {
      await waitFor(`frame #${taken + 1}`, () => raw.lines.length > taken, ms);
      return raw.lines[taken++];
    },
    whenClosed: (ms = 5000) => waitFor('the server to close the connection', () => raw.closed, ms),
  };
  socket.setEncoding('utf8');
  socket.on('data', (s: string) => {
    buf += s;
    let nl: number;
    while ((nl = buf.indexOf('\n')) !== -1) {
      raw.lines.push(JSON.parse(buf.slice(0, nl)));
      buf = buf.slice(nl + 1);
    }
  });
  socket.on('error', () => {}); // EPIPE/ECONNRESET after the server hangs up are expected in some tests
  socket.on('close', () => (raw.closed = true));
  return raw;
}
