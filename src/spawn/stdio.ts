// A child's stdio, opened before it is started: pipes (stdout, stderr, and a readiness fd when
// asked), or a pseudo-terminal. The launcher gives the child its ends; tend reads its own.
import { closeSync, readSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { ReadStream as TtyReadStream } from 'node:tty';
import type { OutputSink, Stream } from '../core/spawner.js';
import { openPty as openPtyFds, openReader, pipe, type Reader } from '../sys/addon.js';

/** Both ends of a child's stdio. */
export interface Stdio {
  /** fd i of the child is a dup of fds[i] (-1: /dev/null) */
  readonly fds: number[];
  /** fd 0 becomes the controlling terminal (a pty) */
  readonly ctty: boolean;
  /** the child holds its ends now: ours of them go, or the reads would never end */
  started(): void;
  /**
   * Reads the output into `sink` (pausing while it refuses) until every writer is gone, then
   * calls sink.end() once; `notify` at the first newline on the readiness fd.
   */
  attach(sink: OutputSink, notify?: () => void): void;
  /** Closes every fd (the start failed). */
  close(): void;
}

function closeQuiet(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

function pipeTo(stream: Readable, name: Stream, sink: OutputSink): void {
  stream.on('data', (chunk: Buffer) => {
    if (!sink.write(name, chunk)) {
      stream.pause();
      sink.onDrain(() => stream.resume());
    }
  });
  stream.on('error', () => {});
}

/** Calls notify once, at the first newline read from the readiness fd (the `fd` probe). */
function watchNotify(stream: Readable, notify: (() => void) | undefined): void {
  let told = false;
  stream.on('data', (c: Buffer) => {
    if (!told && notify && c.includes(10)) {
      told = true;
      notify();
    }
  });
  stream.on('error', () => {});
}

/**
 * Bytes read from an output pipe at a time (its buffer is OUTPUT_PIPE_BYTES): a read of 100-byte
 * lines makes a batch of ~124 KiB, which the batch pool still takes (logs/pool.ts).
 */
export const READ_BYTES = 96 * 1024;
/** One buffer for every output pipe: each read is handed to its sink and done with before the next. */
let readBuf: Buffer | undefined;

/**
 * Reads an output pipe into `sink` (pausing while it refuses) until its end, then calls `done`.
 * The chunks are views of one reused buffer: a sink copies what it keeps (OutputSink.write).
 */
function readPipe(fd: number, name: Stream, sink: OutputSink, done: () => void, sibling?: Reader): Reader {
  const buf = (readBuf ??= Buffer.allocUnsafeSlow(READ_BYTES));
  const path = sink.direct?.();
  const r = openReader(
    fd,
    buf,
    (n) => {
      if (n === 0) {
        done();
        return false;
      }
      if (sink.write(name, buf.subarray(0, n))) return true;
      sink.onDrain(() => r.resume());
      return false;
    },
    sibling,
    path && { path, stream: name === 'stdout' ? 0 : 1 },
  );
  return r;
}

const reader = (fd: number): Socket => new Socket({ fd, readable: true, writable: false });

/** stdin /dev/null, stdout and stderr pipes; with notifyFd, a pipe at that fd too. */
export function openPipes(notifyFd?: number): Stdio {
  const opened: number[] = [];
  const open = (): [number, number] => {
    const p = pipe();
    opened.push(...p);
    return p;
  };
  let out: [number, number];
  let err: [number, number];
  let note: [number, number] | undefined;
  try {
    out = open();
    err = open();
    if (notifyFd !== undefined) note = open();
  } catch (e) {
    for (const fd of opened) closeQuiet(fd);
    throw e;
  }
  const fds = [-1, out[1], err[1]];
  if (note) {
    while (fds.length < notifyFd!) fds.push(-1);
    fds[notifyFd!] = note[1];
  }
  return {
    fds,
    ctty: false,
    started() {
      closeQuiet(out[1]);
      closeQuiet(err[1]);
      if (note) closeQuiet(note[1]);
    },
    attach(sink, notify) {
      sink.begin?.();
      let open = 2;
      const closed = (): void => {
        if (--open === 0) sink.end();
      };
      readPipe(err[0], 'stderr', sink, closed, readPipe(out[0], 'stdout', sink, closed));
      if (note) watchNotify(reader(note[0]), notify);
    },
    close() {
      for (const fd of opened) closeQuiet(fd);
    },
  };
}

/**
 * A pseudo-terminal of cols x rows: the child gets its slave as stdin, stdout, stderr and
 * controlling terminal; its output (stdout and stderr merged) is read from the master until the
 * kernel says EIO, which it does only once every byte has been read: nothing the child wrote
 * just before its exit is lost (see native/pty.c for the libuv bug this works around).
 */
export function openPty(cols = 80, rows = 24): Stdio {
  const [master, slave, rest] = openPtyFds(cols, rows);
  return {
    fds: [slave, slave, slave],
    ctty: true,
    started() {
      closeQuiet(slave); // the child holds it now; when its last holder ends, reads say EIO
    },
    attach(sink) {
      sink.begin?.();
      const term = new TtyReadStream(master);
      let ended = false;
      const end = (): void => {
        if (ended) return;
        ended = true;
        // libuv ends a tty stream on POLLHUP after a short read, with data still in the pty:
        // read the rest through the dup until the kernel says EIO (it has then given every byte)
        for (;;) {
          const buf = Buffer.allocUnsafe(64 * 1024);
          let n: number;
          try {
            n = readSync(rest, buf);
          } catch {
            break; // EIO: all read (EAGAIN: the child still runs, e.g. a stream error)
          }
          if (n === 0) break;
          sink.write('stdout', buf.subarray(0, n));
        }
        closeQuiet(rest);
        sink.end();
        term.destroy();
      };
      pipeTo(term, 'stdout', sink);
      term.on('error', end); // EIO: every process holding the slave has ended, all was read
      term.on('end', end);
      term.on('close', end);
    },
    close() {
      for (const fd of [master, slave, rest]) closeQuiet(fd);
    },
  };
}
