// The daemon's side of the control socket (README "Control protocol"): a private unix socket serving NDJSON requests.
import * as fs from 'node:fs';
import * as net from 'node:net';
import { TendError } from '../core/errors.js';
import { Connection, type CommandTable, type ConnectionOptions, type Handler, type PeerCred } from './connection.js';
import {
  HIGH_WATER_BYTES,
  MAX_INFLIGHT_PER_CONNECTION,
  MAX_INFLIGHT_TOTAL,
  MAX_LINE_BYTES,
  PART_BYTES,
  STREAM_QUEUE_BYTES,
  TOTAL_STREAM_QUEUE_BYTES,
} from './limits.js';
import type { ReplySizes } from './reply-lines.js';
import { fileIdentity, prepareSocketPath, removeSocketFile } from './socket-file.js';

export type { CommandTable, Handler, PeerCred, RequestContext } from './connection.js';

/** How to run a control server. */
export interface ControlServerOptions {
  path: string;
  handle: Handler;
  /** returns why a new connection is refused (e.g. a foreign uid), or undefined to serve it */
  allowPeer?: (socket: net.Socket) => string | undefined;
  /** who a connection's peer is (uid, pid): handed to each request of it (tend approve records it) */
  peerOf?: (socket: net.Socket) => PeerCred | undefined;
  /** problems that do not stop the server (a handler crash, a slow client) */
  onError?(msg: string): void;
  /** when given, commands not in it get `unknown_command`, and args are checked by their schema */
  commands?: CommandTable;
  /** bytes of unread output after which replies wait and requests are not read (default 64 KiB) */
  highWaterBytes?: number;
  /** bytes of events a stream queues behind a slow client before it skips them (default 64 KiB) */
  streamQueueBytes?: number;
  /** what all streams may queue together (default TOTAL_STREAM_QUEUE_BYTES) */
  streamQueueTotalBytes?: number;
  /** requests in flight on one connection (default 64) and in all (default 1024); more get `busy` */
  maxInflight?: { perConnection?: number; total?: number };
  /** the line limit of replies and the size of their parts (defaults: 1 MiB, 256 KiB) */
  replySizes?: ReplySizes;
  /** told the size of every chunk read from any connection (the daemon collects after a flood) */
  onInput?(bytes: number): void;
}

/** A listening control server. */
export interface ControlServer {
  readonly path: string;
  /** connections open now */
  readonly connections: number;
  /** stops listening, ends every connection, removes the socket file */
  close(): Promise<void>;
}

const CLOSE_GRACE_MS = 1000;

/** Creates the socket (0600 in a 0700 folder, a stale one replaced) and serves requests on it. */
export async function createControlServer(opts: ControlServerOptions): Promise<ControlServer> {
  const onError = opts.onError ?? (() => {});
  await prepareSocketPath(opts.path);

  const conns = new Set<Connection>();
  const connOpts: ConnectionOptions = {
    handle: opts.handle,
    commands: opts.commands,
    onError,
    highWaterBytes: opts.highWaterBytes ?? HIGH_WATER_BYTES,
    streamQueueBytes: opts.streamQueueBytes ?? STREAM_QUEUE_BYTES,
    // one bound for every stream of every connection of this server
    streamQueueTotal: { queued: 0, max: opts.streamQueueTotalBytes ?? TOTAL_STREAM_QUEUE_BYTES },
    replySizes: opts.replySizes ?? { line: MAX_LINE_BYTES, part: PART_BYTES },
    // one counter for every connection of this server
    inflight: {
      perConnection: opts.maxInflight?.perConnection ?? MAX_INFLIGHT_PER_CONNECTION,
      max: opts.maxInflight?.total ?? MAX_INFLIGHT_TOTAL,
      count: 0,
    },
  };
  let closing: Promise<void> | undefined;

  const server = net.createServer({ allowHalfOpen: false }, (socket) => {
    if (closing) {
      socket.destroy();
      return;
    }
    let peer: PeerCred | undefined;
    try {
      peer = opts.peerOf?.(socket);
    } catch {
      peer = undefined; // unknown: a request then says so
    }
    const conn = new Connection(socket, connOpts, peer);
    const onInput = opts.onInput;
    if (onInput) socket.on('data', (chunk: Buffer) => onInput(chunk.length));
    conns.add(conn);
    socket.once('close', () => conns.delete(conn));
    let refusal: string | undefined;
    try {
      refusal = opts.allowPeer?.(socket);
    } catch (err) {
      refusal = `cannot check the peer: ${(err as Error).message}`;
    }
    if (refusal !== undefined) conn.refuse({ code: 'forbidden', message: refusal });
  });

  await new Promise<void>((resolve, reject) => {
    const fail = (err: NodeJS.ErrnoException): void => {
      if (err.code === 'EADDRINUSE') reject(new TendError('socket_in_use', `another tend is running on ${opts.path}`));
      else reject(new TendError('socket_listen', `cannot listen on ${opts.path}: ${err.message}`));
    };
    server.once('error', fail);
    server.listen(opts.path, () => {
      server.off('error', fail);
      resolve();
    });
  });
  try {
    fs.chmodSync(opts.path, 0o600);
  } catch (err) {
    server.close();
    throw new TendError('socket_listen', `cannot make ${opts.path} private (chmod 0600): ${(err as Error).message}`);
  }
  const identity = fileIdentity(opts.path);
  server.on('error', (err) => onError(`control socket ${opts.path}: ${err.message}`));

  return {
    path: opts.path,
    get connections() {
      return conns.size;
    },
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        // unlink at once so a new daemon may start while connections drain
        removeSocketFile(opts.path, identity);
        const ended = [...conns].map((conn) => {
          const gone = new Promise<void>((resolve) => {
            if (conn.socket.closed) resolve();
            else conn.socket.once('close', () => resolve());
          });
          conn.end(CLOSE_GRACE_MS);
          return gone;
        });
        await Promise.all([stopped, ...ended]);
        conns.clear();
      })();
      return closing;
    },
  };
}
