// One client connection of the control server: reads request lines, runs them concurrently, writes replies.
import type * as net from 'node:net';
import { TendError } from '../core/errors.js';
import { MAX_LINE_BYTES } from './limits.js';
import { LineSplitter } from './lines.js';
import {
  CANCEL_COMMAND,
  cancelIssues,
  encodeFrame,
  formatIssues,
  parseRequest,
  validationIssues,
  type ArgsSchema,
} from './protocol.js';
import type { ErrorBody, RequestId, ServerFrame } from './wire.js';

/** What a handler gets besides its arguments: a way to stream (events of type E), and notice of the requester going away. */
export interface RequestContext<E = unknown> {
  /** sends `{"id", "event"}`; does nothing once the request is over or the connection closed */
  send(event: E): void;
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
  /** a client that lets more than this many reply bytes pile up unread is dropped */
  maxBufferedBytes: number;
}

interface InFlight {
  cmd: string;
  controller: AbortController;
  resolveClosed(): void;
  /** no more frames may be sent for it (answered, cancelled, or connection gone) */
  over: boolean;
}

const QUIET_CODES = new Set(['EPIPE', 'ECONNRESET', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);

/** Serves the requests of one socket; several may be in flight at once. */
export class Connection {
  private readonly inflight = new Map<RequestId, InFlight>();
  private readonly splitter: LineSplitter;
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
    void this.run(id, cmd, checked.args);
  }

  private checkCommand(
    cmd: string,
    args: Record<string, unknown>,
  ): { ok: true; args: Record<string, unknown> } | { ok: false; error: ErrorBody } {
    const table = this.opts.commands;
    if (!table) return { ok: true, args };
    if (!Object.hasOwn(table, cmd)) {
      const known = Object.keys(table).sort().join(', ');
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
    const entry: InFlight = { cmd, controller, resolveClosed, over: false };
    this.inflight.set(id, entry);
    const ctx: RequestContext = {
      send: (event) => this.sendEvent(id, entry, event),
      closed,
      signal: controller.signal,
      ...(this.peer ? { peer: this.peer } : {}),
    };
    let frame: ServerFrame;
    try {
      const result = await this.opts.handle(cmd, args, ctx);
      frame = { id, ok: true, result: result === undefined ? null : result };
    } catch (err) {
      frame = { id, ok: false, error: this.errorBody(cmd, err) };
    }
    if (entry.over) return; // cancelled or disconnected: nobody waits for the answer
    this.write(frame, cmd);
    this.finish(id, entry, false);
  }

  private sendEvent(id: RequestId, entry: InFlight, event: unknown): void {
    if (entry.over || this.gone) return;
    let line: string;
    try {
      line = encodeFrame({ id, event });
    } catch (err) {
      this.opts.onError(`${entry.cmd}: cannot encode an event: ${(err as Error).message}`);
      return;
    }
    if (Buffer.byteLength(line) - 1 > MAX_LINE_BYTES) {
      // a frame the client would refuse: end this stream with an error rather than lose events silently
      const message = `${entry.cmd}: an event of ${Buffer.byteLength(line)} bytes exceeds the ${MAX_LINE_BYTES}-byte line limit`;
      this.opts.onError(message);
      this.write({ id, ok: false, error: { code: 'too_large', message } });
      this.finish(id, entry, true);
      return;
    }
    this.writeLine(line);
  }

  private errorBody(cmd: string, err: unknown): ErrorBody {
    if (err instanceof TendError) return { code: err.code, message: err.message };
    const issues = validationIssues(err);
    if (issues) return { code: 'bad_request', message: `${cmd}: ${formatIssues(issues, ['args'])}` };
    const message = err instanceof Error ? err.message : String(err);
    this.opts.onError(`${cmd}: internal error: ${err instanceof Error ? (err.stack ?? message) : message}`);
    return { code: 'internal', message: `${cmd}: ${message}` };
  }

  /** Marks a request over; `abort` (cancel, disconnect) also aborts its signal. */
  private finish(id: RequestId, entry: InFlight, abort: boolean): void {
    entry.over = true;
    if (this.inflight.get(id) === entry) this.inflight.delete(id);
    if (abort) entry.controller.abort(new TendError('cancelled', 'the client went away or cancelled the request'));
    entry.resolveClosed();
  }

  private write(frame: ServerFrame, cmd?: string): void {
    let line: string;
    try {
      line = encodeFrame(frame);
    } catch (err) {
      const message = `${cmd ?? 'reply'}: cannot encode the result as JSON: ${(err as Error).message}`;
      this.opts.onError(message);
      line = encodeFrame({ id: frame.id, ok: false, error: { code: 'internal', message } });
    }
    if (Buffer.byteLength(line) - 1 > MAX_LINE_BYTES) {
      const message = `${cmd ?? 'reply'}: a reply of ${Buffer.byteLength(line)} bytes exceeds the ${MAX_LINE_BYTES}-byte line limit`;
      this.opts.onError(message);
      line = encodeFrame({ id: frame.id, ok: false, error: { code: 'too_large', message } });
    }
    this.writeLine(line);
  }

  private writeLine(line: string): void {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    this.socket.write(line);
    if (this.socket.writableLength > this.opts.maxBufferedBytes) {
      this.opts.onError(
        `control connection: the client reads too slowly (${this.socket.writableLength} bytes unread); dropping it`,
      );
      this.teardown();
      this.socket.destroy();
    }
  }

  /** The client is gone (or is being sent away): every request in flight is over. */
  private teardown(): void {
    if (this.gone) return;
    this.gone = true;
    this.splitter.stop();
    for (const [id, entry] of [...this.inflight]) this.finish(id, entry, true);
  }

  private onOverflow(): void {
    this.refuse({
      code: 'too_large',
      message: `a request line is over the ${MAX_LINE_BYTES}-byte (1 MiB) limit; closing the connection`,
    });
  }
}
