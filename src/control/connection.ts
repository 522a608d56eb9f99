// One client connection of the control server: reads request lines, runs them concurrently, writes replies.
import type * as net from 'node:net';
import { TendError } from '../core/errors.js';
import { MAX_LINE_BYTES } from './limits.js';
import { LineSplitter } from './lines.js';
import { Outbox, type Outgoing } from './outbox.js';
import {
  CANCEL_COMMAND,
  cancelIssues,
  encodeEvent,
  encodeFrame,
  formatIssues,
  parseRequest,
  validationIssues,
  type ArgsSchema,
} from './protocol.js';
import { replyLines, type ReplySizes } from './reply-lines.js';
import type { ErrorBody, RequestId, ServerFrame } from './wire.js';

/** What a handler gets besides its arguments: a way to stream (events of type E), and notice of the requester going away. */
export interface RequestContext<E = unknown> {
  /**
   * sends `{"id", "event"}`; does nothing once the request is over or the connection closed.
   * Never waits: behind a client that reads too slowly, events queue a little, then are skipped
   * and counted (the client gets a `lagged` frame). `always`: queued past the bounds, never
   * skipped: for the few small events a client cannot do without (the `where` of a follower).
   */
  send(event: E, always?: boolean): void;
  /** sends past events first, as fast as the client reads them (kept by reference, not copied) */
  backlog(events: readonly E[]): void;
  /** resolves when the client disconnects or cancels this request, or once the request is answered */
  closed: Promise<void>;
  /** aborted when the client disconnects or cancels this request */
  signal: AbortSignal;
  /** who is on the other end (SO_PEERCRED), when the server could tell */
  peer?: PeerCred;
}

/** The credentials of a socket's peer process. */
export interface PeerCred {
  uid: number;
  pid: number;
}

/** Runs one command. Throw TendError(code, message) for an error reply; any other throw is "internal". */
export type Handler = (cmd: string, args: Record<string, unknown>, ctx: RequestContext) => Promise<unknown>;

/**
 * Known commands and their argument schemas (null: any args object), checked before the handler
 * runs; unknown names are refused up front. The daemon's comes from the command table.
 */
export type CommandTable = Readonly<Record<string, ArgsSchema | null>>;

/** What a Connection needs from its server. */
export interface ConnectionOptions {
  handle: Handler;
  commands?: CommandTable;
  onError(msg: string): void;
  /** bytes of unread output after which replies wait and requests are not read */
  highWaterBytes: number;
  /** bytes of events a stream queues behind a slow client before it skips them */
  streamQueueBytes: number;
  /** what every stream of the server queues together, and its bound (`queued` is shared) */
  streamQueueTotal?: { queued: number; max: number };
  /** line and part sizes of replies */
  replySizes: ReplySizes;
  /** requests in flight: at most `perConnection` here, at most `max` in all (`count` is shared) */
  inflight: { perConnection: number; max: number; count: number };
}

interface InFlight {
  cmd: string;
  controller: AbortController;
  resolveClosed(): void;
  /** no more frames may be sent for it (answered, cancelled, or connection gone) */
  over: boolean;
  /** its lines waiting to be written (events, the reply), made on its first */
  out: Outgoing | undefined;
}

const QUIET_CODES = new Set(['EPIPE', 'ECONNRESET', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);

/** Serves the requests of one socket; several may be in flight at once. */
export class Connection {
  private readonly inflight = new Map<RequestId, InFlight>();
  private readonly splitter: LineSplitter;
  private readonly outbox: Outbox;
  private gone = false;

  constructor(
    readonly socket: net.Socket,
    private readonly opts: ConnectionOptions,
    private readonly peer?: PeerCred,
  ) {
    this.splitter = new LineSplitter(
      (line) => this.onLine(line),
      () => this.onOverflow(),
    );
    // a client that does not read its replies is not read either: its requests wait in the kernel
    this.outbox = new Outbox(socket, {
      highWater: opts.highWaterBytes,
      streamQueue: opts.streamQueueBytes,
      ...(opts.streamQueueTotal ? { shared: opts.streamQueueTotal } : {}),
      pauseAt: opts.highWaterBytes + opts.replySizes.line,
      onFull: (full) => {
        if (this.gone) return;
        if (full) socket.pause();
        else socket.resume();
      },
    });
    socket.on('data', (chunk: Buffer) => this.splitter.push(chunk));
    socket.on('end', () => this.teardown());
    socket.on('close', () => this.teardown());
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (!QUIET_CODES.has(err.code ?? '')) this.opts.onError(`control connection: ${err.message}`);
      this.teardown();
    });
  }

  /** Sends a connection-level error (id null), then closes: for refused peers and unreadable input. */
  refuse(error: ErrorBody): void {
    this.splitter.stop();
    this.write({ id: null, ok: false, error });
    this.teardown();
    this.socket.end();
  }

  /** Ends the connection: flushes what is written, then closes; destroyed after `graceMs` at the latest. */
  end(graceMs: number): void {
    this.splitter.stop();
    this.teardown();
    this.socket.end();
    const t = setTimeout(() => this.socket.destroy(), graceMs);
    t.unref();
    this.socket.once('close', () => clearTimeout(t));
  }

  private onLine(line: string): void {
    if (this.gone || line.trim() === '') return;
    const parsed = parseRequest(line);
    if (!parsed.ok) {
      this.write({ id: parsed.id, ok: false, error: parsed.error });
      return;
    }
    const { id, cmd, args } = parsed.request;
    if (this.inflight.has(id)) {
      this.write({
        id,
        ok: false,
        error: { code: 'bad_request', message: `request id ${JSON.stringify(id)} is already in flight on this connection` },
      });
      return;
    }
    if (cmd === CANCEL_COMMAND) {
      this.cancel(id, args);
      return;
    }
    const checked = this.checkCommand(cmd, args);
    if (!checked.ok) {
      this.write({ id, ok: false, error: checked.error });
      return;
    }
    const busy = this.busy();
    if (busy) {
      this.write({ id, ok: false, error: { code: 'busy', message: `${cmd}: ${busy}` } });
      return;
    }
    void this.run(id, cmd, checked.args);
  }

  /** Why one more request may not run now, or undefined. */
  private busy(): string | undefined {
    const { perConnection, max, count } = this.opts.inflight;
    if (this.inflight.size >= perConnection) {
      return `${this.inflight.size} requests are in flight on this connection, the most allowed; send more once some are answered`;
    }
    if (count >= max) return `${count} requests are in flight on this daemon, the most allowed; try again shortly`;
    return undefined;
  }

  private checkCommand(
    cmd: string,
    args: Record<string, unknown>,
  ): { ok: true; args: Record<string, unknown> } | { ok: false; error: ErrorBody } {
    const table = this.opts.commands;
    if (!table) return { ok: true, args };
    if (!Object.hasOwn(table, cmd)) {
      const known = [...Object.keys(table), CANCEL_COMMAND].sort().join(', ');
      return { ok: false, error: { code: 'unknown_command', message: `unknown command "${cmd}" (known: ${known})` } };
    }
    const schema = table[cmd];
    if (!schema) return { ok: true, args };
    const result = schema.safeParse(args);
    if (!result.success) {
      return { ok: false, error: { code: 'bad_request', message: `${cmd}: ${formatIssues(result.error.issues, ['args'])}` } };
    }
    return { ok: true, args: result.data as Record<string, unknown> };
  }

  private cancel(id: RequestId, args: Record<string, unknown>): void {
    const issues = cancelIssues(args);
    if (issues.length > 0) {
      this.write({ id, ok: false, error: { code: 'bad_request', message: `cancel: ${formatIssues(issues, ['args'])}` } });
      return;
    }
    const which = args.id as RequestId;
    const target = this.inflight.get(which);
    if (target) this.finish(which, target, true);
    this.write({ id, ok: true, result: { cancelled: target !== undefined } });
  }

  private async run(id: RequestId, cmd: string, args: Record<string, unknown>): Promise<void> {
    const controller = new AbortController();
    let resolveClosed!: () => void;
    const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
    const entry: InFlight = { cmd, controller, resolveClosed, over: false, out: undefined };
    this.inflight.set(id, entry);
    this.opts.inflight.count++;
    const ctx: RequestContext = {
      send: (event, always) => {
        if (!entry.over && !this.gone) this.outgoing(id, entry).send(event, always);
      },
      backlog: (events) => {
        if (!entry.over && !this.gone) this.outgoing(id, entry).backlog(events);
      },
      closed,
      signal: controller.signal,
      ...(this.peer ? { peer: this.peer } : {}),
    };
    let lines: Iterator<string>;
    try {
      const result = await this.opts.handle(cmd, args, ctx);
      lines = this.replyLines(id, cmd, result);
    } catch (err) {
      lines = [encodeFrame({ id, ok: false, error: this.errorBody(cmd, err) })][Symbol.iterator]();
    }
    if (entry.over) return; // cancelled or disconnected: nobody waits for the answer
    // in flight until its last line is written: a reply waits behind what the client has not read
    this.outgoing(id, entry).end(lines, () => this.finish(id, entry, false));
  }

  /** The request's writer, made on first use. */
  private outgoing(id: RequestId, entry: InFlight): Outgoing {
    entry.out ??= this.outbox.open(id, (event) => this.encodeEvent(id, entry, event));
    return entry.out;
  }

  /** The reply's lines (one, or parts and a final one), an error reply if they cannot be made. */
  private *replyLines(id: RequestId, cmd: string, result: unknown): Generator<string, void, undefined> {
    try {
      yield* replyLines(id, result, this.opts.replySizes);
    } catch (err) {
      const tooLarge = err instanceof TendError && err.code === 'too_large';
      const message = tooLarge ? `${cmd}: ${err.message}` : `${cmd}: cannot encode the result as JSON: ${(err as Error).message}`;
      this.opts.onError(message);
      yield encodeFrame({ id, ok: false, error: { code: tooLarge ? 'too_large' : 'internal', message } });
    }
  }

  /** One event as a line; an event over the line limit ends its stream with `too_large` instead. */
  private encodeEvent(id: RequestId, entry: InFlight, event: unknown): string | undefined {
    let line: string;
    try {
      line = encodeEvent(id, event);
    } catch (err) {
      this.opts.onError(`${entry.cmd}: cannot encode an event: ${(err as Error).message}`);
      return undefined;
    }
    const max = this.opts.replySizes.line;
    if (line.length <= max / 3 || Buffer.byteLength(line) - 1 <= max) return line; // a UTF-16 unit is at most 3 bytes
    // a frame the client would refuse: end this stream with an error rather than lose events silently
    const message = `${entry.cmd}: an event of ${Buffer.byteLength(line)} bytes exceeds the ${max}-byte line limit`;
    this.opts.onError(message);
    const error = encodeFrame({ id, ok: false, error: { code: 'too_large', message } });
    entry.out?.end([error][Symbol.iterator](), () => {});
    this.finish(id, entry, true, true);
    return undefined;
  }

  private errorBody(cmd: string, err: unknown): ErrorBody {
    if (err instanceof TendError) return { code: err.code, message: err.message };
    const issues = validationIssues(err);
    if (issues) return { code: 'bad_request', message: `${cmd}: ${formatIssues(issues, ['args'])}` };
    const message = err instanceof Error ? err.message : String(err);
    this.opts.onError(`${cmd}: internal error: ${err instanceof Error ? (err.stack ?? message) : message}`);
    return { code: 'internal', message: `${cmd}: ${message}` };
  }

  /**
   * Marks a request over; `abort` (cancel, disconnect) also aborts its signal and drops what it
   * has not written, unless `flush` (a stream ended by an error: what waits goes first).
   */
  private finish(id: RequestId, entry: InFlight, abort: boolean, flush = false): void {
    if (!entry.over) this.opts.inflight.count--;
    entry.over = true;
    if (this.inflight.get(id) === entry) this.inflight.delete(id);
    if (abort && !flush) entry.out?.cancel();
    if (abort) entry.controller.abort(new TendError('cancelled', 'the client went away or cancelled the request'));
    entry.resolveClosed();
  }

  /** Writes a small frame at once (errors, cancel replies): they are few, and requests are not read while the client lags. */
  private write(frame: ServerFrame): void {
    this.outbox.writeNow(encodeFrame(frame));
  }

  /** The client is gone (or is being sent away): every request in flight is over. */
  private teardown(): void {
    if (this.gone) return;
    this.gone = true;
    this.splitter.stop();
    this.outbox.close();
    for (const [id, entry] of [...this.inflight]) this.finish(id, entry, true);
  }

  private onOverflow(): void {
    this.refuse({
      code: 'too_large',
      message: `a request line is over the ${MAX_LINE_BYTES}-byte (1 MiB) limit; closing the connection`,
    });
  }
}
