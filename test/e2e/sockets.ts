// Raw connections to a daemon's control socket, and its memory, for the tests that abuse the socket.
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { afterEach } from 'vitest';

/** The resident memory of a process, in MB (VmRSS of /proc/PID/status). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}

/**
 * The raw connections of one test file: `connect` opens one to a socket path and gives each line
 * the daemon sends (without its newline) to `onLine`; every one is destroyed after each test, or
 * at once by `destroyAll`.
 */
export function useSockets(): {
  connect(path: string, onLine: (line: string) => void): Promise<net.Socket>;
  destroyAll(): void;
} {
  let open: net.Socket[] = [];
  const destroyAll = (): void => {
    for (const s of open) s.destroy();
    open = [];
  };
  afterEach(destroyAll);
  const connect = async (path: string, onLine: (line: string) => void): Promise<net.Socket> => {
    const socket = net.connect(path);
    open.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('data', (s: string) => {
      buf += s;
      let nl: number;
      while ((nl = buf.indexOf('\n')) !== -1) {
        onLine(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
    return socket;
  };
  return { connect, destroyAll };
}
