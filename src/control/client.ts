// The CLI's and shell's side of the control socket. Kept light (node:net and tiny tend files only):
// it is on the one-shot command path, whose start-up time counts.
import * as net from 'node:net';
import { TendError } from '../core/errors.js';
import { socketPathProblem } from './limits.js';
import { LineSplitter } from './lines.js';
import type { ArgsOf, CommandName, ErrorBody, EventOf, RequestFrame, ResultOf, ServerFrame, StreamName } from './wire.js';

/** A running stream (`logs -f`, `events -f`). */
export interface ClientStream {
  /** resolves with the reply's result when the stream ends (undefined after close()); rejects on an error reply or a lost connection */
  done: Promise<unknown>;
  /** stops the stream (the server is told to cancel it); the connection stays usable */
  close(): void;
}

/** A connection to the daemon, typed by the command table (wire.ts). Several requests may be in flight at once. */
export interface Client {
  /** sends one command; resolves with its result, rejects with TendError(code, message) */
  request<C extends CommandName>(cmd: C, args?: ArgsOf<C>): Promise<ResultOf<C>>;
  /**
   * sends a streaming command; onEvent gets each event until the stream ends, onLag the number
   * of events the daemon skipped because this client read too slowly (the stream goes on)
   */
  stream<C extends StreamName>(
    cmd: C,
    args: ArgsOf<C>,
    onEvent: (event: EventOf<C>) => void,
    onLag?: (skipped: number) => void,
  ): ClientStream;
  /** closes the connection; requests in flight reject with code "closed", streams resolve */
  close(): void;
  /** called once when the connection closes; `err` is why, unless close() was called */
  onClose(cb: (err?: TendError) => void): void;
  readonly closed: boolean;
}

/**
 * The client where the command name is a variable (the CLI's command table, the log readers): untyped
 * requests and streams; the callers hold their commands' types.
 */
export interface UntypedClient {
  request(cmd: string, args: unknown): Promise<unknown>;
  stream(cmd: string, args: unknown, onEvent: (e: unknown) => void, onLag: (n: number) => void): ClientStream;
}

/**
 * The same client, untyped: for the CLI's command table, where the name is a variable, and for
 * the log readers' `where` requests (`logs`/`events` with `where: true` answer where the files are,
 * a shape the table's types of those commands do not carry). The one cast between the two.
 */
export function untyped(client: Client): UntypedClient {
  return client as unknown as UntypedClient;
}

/** Options of connect(). */
export interface ConnectOptions {
  /** give up connecting after this long (default 5000 ms) */
  timeoutMs?: number;
}

interface Pending {
  resolve(result: unknown): void;
  reject(err: TendError): void;
  onEvent?: (event: unknown) => void;
  onLag?: (skipped: number) => void;
  /** the items of a large reply's lists sent in `part` frames so far, by list */
  parts?: Map<string, unknown[]>;
}

/** Connects to the daemon's socket; rejects with TendError('no_daemon') when nothing listens there. */
export function connect(path: string, opts: ConnectOptions = {}): Promise<Client> {
  const problem = socketPathProblem(path);
  if (problem) return Promise.reject(new TendError('bad_socket_path', problem));
  const timeoutMs = opts.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    const socket = net.connect(path);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new TendError('no_daemon', `no tend daemon answers on ${path} (no connection after ${timeoutMs} ms)`));
    }, timeoutMs);
    const onError = (err: NodeJS.ErrnoException): void => {
      clearTimeout(timer);
      socket.destroy();
      if (err.code === 'EACCES' || err.code === 'EPERM') {
        // a daemon may well run there; it is ours to reach that is refused
        void whose(path).then((who) => reject(new TendError('permission_denied', `permission denied on ${path}: ${who}`)));
        return;
      }
      const quiet = err.code === 'ENOENT' || err.code === 'ECONNREFUSED';
      reject(new TendError('no_daemon', `no tend daemon answers on ${path}${quiet ? '' : `: ${err.message}`}`));
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(new SocketClient(socket, path));
    });
  });
}

/**
 * Who may use the socket at `path` (its owner and mode), or its folder when that is what refuses
 * us. node:fs is loaded here only, on this error's path: the client's start-up stays node:net alone.
 */
async function whose(path: string): Promise<string> {
  const uid = process.getuid?.();
  const me = uid === undefined ? '' : ` (you are uid ${uid})`;
  const { statSync } = await import('node:fs');
  try {
    const st = statSync(path);
    return `the socket is uid ${st.uid}'s, mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}${me}; run tend as that user or root`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EACCES')
      return `a folder on its path may not be searched${me}; run tend as its owner or root`;
    return `connecting is not allowed${me}`;
  }
}

class SocketClient implements Client {
  private readonly pending = new Map<number, Pending>();
  private readonly closeCallbacks: Array<(err?: TendError) => void> = [];
  private nextId = 1;
  private isClosed = false;
  private closedByUs = false;
  private socketClosed = false;
  /** why the connection is unusable: an error frame with id null, or the socket ending */
  private failure: TendError | undefined;

  constructor(
    private readonly socket: net.Socket,
    private readonly path: string,
  ) {
    const splitter = new LineSplitter(
      (line) => this.onLine(line),
      () => this.fail(new TendError('protocol', `the daemon on ${path} sent a line over the 1 MiB limit`)),
    );
    socket.on('data', (chunk: Buffer) => splitter.push(chunk));
    socket.on('error', (err) => {
      this.failure ??= new TendError('connection_lost', `lost the connection to the tend daemon on ${path}: ${err.message}`);
    });
    socket.on('close', () => this.onSocketClose());
  }

  get closed(): boolean {
    return this.isClosed;
  }

  request<C extends CommandName>(cmd: C, args?: ArgsOf<C>): Promise<ResultOf<C>> {
    return new Promise((resolve, reject) => {
      const id = this.send(cmd, args, reject);
      // the reply's result is the command's (the daemon answers it from the same table)
      if (id !== undefined) this.pending.set(id, { resolve: resolve as (r: unknown) => void, reject });
    });
  }

  stream<C extends StreamName>(
    cmd: C,
    args: ArgsOf<C>,
    onEvent: (event: EventOf<C>) => void,
    onLag?: (skipped: number) => void,
  ): ClientStream {
    let id: number | undefined;
    let settle!: { resolve(result?: unknown): void; reject(err: TendError): void };
    const done = new Promise<unknown>((resolve, reject) => {
      settle = { resolve, reject };
    });
    done.catch(() => {}); // a caller that only close()s must not see an unhandled rejection
    id = this.send(cmd, args, settle.reject);
    if (id !== undefined) {
      this.pending.set(id, {
        resolve: (r) => settle.resolve(r),
        reject: settle.reject,
        onEvent: onEvent as (e: unknown) => void,
        onLag,
      });
    }
    return {
      done,
      close: () => {
        if (id === undefined || !this.pending.has(id)) return;
        this.pending.delete(id);
        settle.resolve();
        if (!this.isClosed) this.send('cancel', { id }, () => {});
        id = undefined;
      },
    };
  }

  close(): void {
    if (this.isClosed) return;
    this.closedByUs = true;
    this.isClosed = true;
    this.settleAll(new TendError('closed', 'the connection was closed by the client'), true);
    this.socket.end(() => this.socket.destroy());
  }

  onClose(cb: (err?: TendError) => void): void {
    if (!this.socketClosed) {
      this.closeCallbacks.push(cb);
      return;
    }
    const reason = this.closedByUs ? undefined : this.closeReason();
    queueMicrotask(() => cb(reason));
  }

  /** Writes a request; returns its id, or undefined after calling `reject` when the connection is unusable. */
  private send(cmd: string, args: unknown, reject: (err: TendError) => void): number | undefined {
    if (this.isClosed || this.failure) {
      reject(this.closeReason());
      return undefined;
    }
    const id = this.nextId++;
    const frame: RequestFrame = args === undefined ? { id, cmd } : { id, cmd, args: args as Record<string, unknown> };
    let line: string;
    try {
      line = JSON.stringify(frame) + '\n';
    } catch (err) {
      reject(new TendError('bad_request', `${cmd}: cannot encode the arguments as JSON: ${(err as Error).message}`));
      return undefined;
    }
    this.socket.write(line);
    return id;
  }

  private onLine(line: string): void {
    if (line.trim() === '') return;
    let frame: ServerFrame;
    try {
      frame = JSON.parse(line) as ServerFrame;
    } catch (err) {
      this.fail(new TendError('protocol', `the daemon on ${this.path} sent malformed JSON: ${(err as Error).message}`));
      return;
    }
    if (typeof frame !== 'object' || frame === null) return;
    if ('event' in frame) {
      this.pending.get(frame.id as number)?.onEvent?.(frame.event);
      return;
    }
    if ('lagged' in frame) {
      if (typeof frame.lagged === 'number') this.pending.get(frame.id as number)?.onLag?.(frame.lagged);
      return;
    }
    if ('part' in frame) {
      const p = this.pending.get(frame.id as number);
      if (p && typeof frame.part === 'object' && frame.part !== null) addParts((p.parts ??= new Map()), frame.part);
      return;
    }
    if (!('ok' in frame)) return;
    if (frame.id === null) {
      // a connection-level refusal (forbidden peer, oversized line): everything in flight fails with it
      if (!frame.ok) this.fail(toError(frame.error));
      return;
    }
    const p = this.pending.get(frame.id as number);
    if (!p) return; // an answer to a cancelled stream or to a cancel
    this.pending.delete(frame.id as number);
    if (frame.ok) p.resolve(p.parts ? joinParts(p.parts, frame.result) : frame.result);
    else p.reject(toError(frame.error));
  }

  /** The connection is unusable for `err`: fails everything in flight and closes. */
  private fail(err: TendError): void {
    this.failure ??= err;
    this.settleAll(this.failure, false);
    this.socket.destroy();
  }

  private settleAll(err: TendError, streamsResolve: boolean): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) {
      if (streamsResolve && p.onEvent) p.resolve(undefined);
      else p.reject(err);
    }
  }

  private closeReason(): TendError {
    if (this.failure) return this.failure;
    if (this.closedByUs) return new TendError('closed', 'the connection was closed by the client');
    return new TendError('connection_lost', `the tend daemon on ${this.path} closed the connection`);
  }

  private onSocketClose(): void {
    const byUs = this.closedByUs;
    this.isClosed = true;
    this.socketClosed = true;
    const reason = this.closeReason();
    this.settleAll(reason, byUs);
    const cbs = this.closeCallbacks.splice(0);
    for (const cb of cbs) cb(byUs ? undefined : reason);
  }
}

/** Appends a `part` frame's items to the lists they belong to. */
function addParts(acc: Map<string, unknown[]>, part: Record<string, unknown>): void {
  for (const [key, items] of Object.entries(part)) {
    if (!Array.isArray(items)) continue;
    let list = acc.get(key);
    if (!list) acc.set(key, (list = []));
    for (const item of items) list.push(item);
  }
}

/** The whole result: each list is its parts' items, then the final result's own. */
function joinParts(acc: Map<string, unknown[]>, result: unknown): unknown {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return result;
  const whole = result as Record<string, unknown>;
  for (const [key, items] of acc) {
    const rest = whole[key];
    if (Array.isArray(rest)) for (const item of rest) items.push(item);
    whole[key] = items;
  }
  return whole;
}

function toError(body: ErrorBody | undefined): TendError {
  const code = typeof body?.code === 'string' ? body.code : 'internal';
  const message = typeof body?.message === 'string' ? body.message : 'the daemon sent an error without a message';
  return new TendError(code, message);
}
