// The socket file's life: a private folder, a stale file from a dead daemon replaced, a live one refused.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { TendError } from '../core/errors.js';
import { socketPathProblem } from './limits.js';

/** Makes `socketPath` free to listen on: checks its length, creates its folder 0700, removes a stale socket. */
export async function prepareSocketPath(socketPath: string): Promise<void> {
  const problem = socketPathProblem(socketPath);
  if (problem) throw new TendError('bad_socket_path', problem);

  const dir = path.dirname(path.resolve(socketPath));
  let created: string | undefined;
  try {
    created = fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new TendError('socket_dir', `cannot create the socket folder ${dir}: ${(err as Error).message}`);
  }
  // mkdir's mode is masked by the umask; a folder we made must be exactly 0700 (one we found is left as is)
  if (created !== undefined) fs.chmodSync(dir, 0o700);
  const unsafe = unsafeFolder(dir);
  if (unsafe)
    throw new TendError(
      'socket_dir_unsafe',
      `the socket folder ${dir} ${unsafe}: refusing to use it (make it 0700 and tend's own, or choose another settings.socket)`,
    );

  let st: fs.Stats;
  try {
    st = fs.lstatSync(socketPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new TendError('socket_path', `cannot inspect ${socketPath}: ${(err as Error).message}`);
  }
  if (!st.isSocket()) {
    throw new TendError('socket_path', `${socketPath} exists and is not a socket; refusing to replace it`);
  }
  const answer = await probe(socketPath);
  if (answer === 'live') throw new TendError('socket_in_use', `another tend is running on ${socketPath}`);
  if (answer === 'stale') {
    try {
      fs.unlinkSync(socketPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new TendError('socket_path', `cannot remove the stale socket ${socketPath}: ${(err as Error).message}`);
      }
    }
  }
}

/**
 * Why the socket folder is not tend's alone (undefined when it is): someone else could plant
 * files beside the socket (the state file tend reads and writes). Owned by tend's uid, writable
 * by no group or other.
 */
function unsafeFolder(dir: string, uid = process.getuid?.()): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (err) {
    return `cannot be inspected (${(err as Error).message})`;
  }
  if (!st.isDirectory()) return 'is not a folder';
  if (uid !== undefined && st.uid !== uid) return `is owned by uid ${st.uid}, not by tend's uid ${uid}`;
  if (st.mode & 0o022) return `may be written by others (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')})`;
  return undefined;
}

/** Whether something listens on the socket file ('live'), nothing does ('stale'), or it vanished ('gone'). */
function probe(socketPath: string): Promise<'live' | 'stale' | 'gone'> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(socketPath);
    const timer = setTimeout(() => {
      // a listener that accepts nothing for 2 s is alive (backlog full), not stale
      sock.destroy();
      resolve('live');
    }, 2000);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve('live');
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      sock.destroy();
      if (err.code === 'ECONNREFUSED') resolve('stale');
      else if (err.code === 'ENOENT') resolve('gone');
      else if (err.code === 'EAGAIN') resolve('live');
      else reject(new TendError('socket_path', `cannot probe ${socketPath}: ${err.message}`));
    });
  });
}

/** The identity of the file at `p` (dev:ino), or undefined when there is none. */
export function fileIdentity(p: string): string | undefined {
  try {
    const st = fs.lstatSync(p);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/** Removes the socket file only if it is still the one we created (another daemon may have replaced it). */
export function removeSocketFile(p: string, identity: string | undefined): void {
  if (identity === undefined || fileIdentity(p) !== identity) return;
  try {
    fs.unlinkSync(p);
  } catch {
    // already gone: nothing to do
  }
}
