// The writing side of one control connection (docs/protocol.md "Limits"): what the client has not
// read yet stays near a high-water mark. Replies wait their turn, each stream queues a little, and
// a stream that falls further behind skips events and says how many (a `lagged` frame). A client
// that stops reading so costs the daemon a bounded amount, and other clients never notice.
import type * as net from 'node:net';
import type { RequestId } from './wire.js';

/** How much an Outbox lets pile up. */
export interface OutboxOptions {
  /** bytes the socket may hold unsent; past it, sources wait for the client to read */
  highWater: number;
  /** bytes of events one stream may queue behind a full socket; past it, events are skipped */
  streamQueue: number;
  /** what every stream of every connection queues together (`queued`), and its bound (`max`) */
  shared?: { queued: number; max: number };
  /**
   * bytes unsent past which the connection stops reading requests, until the client has read
   * everything: only small answers written at once (errors, `busy`) go past `highWater`, so this
   * is above it by the largest line the queued sources may write
   */
  pauseAt: number;
  /** the socket went over `pauseAt` (true) or drained (false): stop or resume reading requests */
  onFull(full: boolean): void;
}

/** Encodes one event as a line, or returns undefined after ending the stream (an event too large). */
export type EventEncoder = (event: unknown) => string | undefined;

/**
 * What one request sends, in order: a backlog of events (held, encoded as the client reads),
 * live events (queued up to the stream budget, then counted as skipped), then its reply's lines.
 */
export class Outgoing {
  private backlogItems: readonly unknown[] = [];
  private backlogAt = 0;
  private queue: string[] = [];
  private queueHead = 0;
  /** characters queued (a cheap stand-in for bytes) */
  private queued = 0;
  private skipped = 0;
  private reply: Iterator<string> | undefined;
  private onReplyDone: (() => void) | undefined;
  /** no more events are taken: the reply is set, or the request was cancelled */
  private ended = false;

  constructor(
    private readonly box: Outbox,
    private readonly id: RequestId,
    private readonly encode: EventEncoder,
  ) {}

  /** Whether anything waits to be written. */
  get pending(): boolean {
    return (
      this.backlogAt < this.backlogItems.length ||
      this.queueHead < this.queue.length ||
      this.skipped > 0 ||
      this.reply !== undefined
    );
  }

  /**
   * Writes an event now, queues it behind what waits, or skips it when the stream's queue is full
   * (`always`: queued all the same; a few small events a client cannot do without).
   */
  send(event: unknown, always = false): void {
    if (this.ended) return;
    // nothing of it waits and the socket takes more: written now, past any bound (a stream that
    // reads is never held back by the shared bound that streams which do not read have filled)
    const now =
      this.box.ready && this.queueHead >= this.queue.length && this.backlogAt >= this.backlogItems.length && !this.reply;
    if (!now && !always && (this.queued >= this.box.streamQueue || this.box.sharedFull)) {
      this.skipped++; // not even encoded: a lagging follower costs a counter
      return;
    }
    const line = this.encode(event);
    if (line === undefined || this.ended) return;
    if (now) {
      if (this.skipped > 0) this.box.writeNow(lagLine(this.id, this.skipped));
      this.skipped = 0;
      this.box.writeNow(line);
      return;
    }
    if (this.skipped > 0) this.push(lagLine(this.id, this.skipped));
    this.skipped = 0;
    this.push(line);
    this.box.activate(this);
  }

  /** Events to send before any live one, as fast as the client reads them (held, not copied). */
  backlog(items: readonly unknown[]): void {
    if (this.ended || items.length === 0) return;
    if (this.pending) {
      for (const e of items) this.send(e);
      return;
    }
    this.backlogItems = items;
    this.backlogAt = 0;
    this.box.activate(this);
  }

  /** The request is answered: `lines` (its reply) follow what waits; `done` is called after the last. */
  end(lines: Iterator<string>, done: () => void): void {
    if (this.ended) return;
    this.ended = true;
    this.backlogItems = [];
    this.backlogAt = 0;
    this.reply = lines;
    this.onReplyDone = done;
    this.box.activate(this);
  }

  /** Drops everything: nothing more is written for this request. */
  cancel(): void {
    this.ended = true;
    this.backlogItems = [];
    this.queue = [];
    this.queueHead = 0;
    this.box.share(-this.queued);
    this.queued = 0;
    this.skipped = 0;
    this.reply = undefined;
    this.onReplyDone = undefined;
    this.box.deactivate(this);
  }

  /** The next line to write, or undefined when nothing waits (the reply's end calls `done`). */
  take(): string | undefined {
    while (this.backlogAt < this.backlogItems.length) {
      const item = this.backlogItems[this.backlogAt++];
      if (this.backlogAt === this.backlogItems.length) this.backlogItems = [];
      const line = this.encode(item);
      if (line !== undefined) return line;
    }
    if (this.queueHead < this.queue.length) {
      const line = this.queue[this.queueHead]!;
      this.queue[this.queueHead++] = '';
      this.queued -= line.length;
      this.box.share(-line.length);
      if (this.queueHead === this.queue.length) {
        this.queue = [];
        this.queueHead = 0;
      }
      return line;
    }
    if (this.skipped > 0) {
      const n = this.skipped;
      this.skipped = 0;
      return lagLine(this.id, n);
    }
    if (this.reply) {
      const next = this.reply.next();
      if (!next.done) return next.value;
      this.reply = undefined;
      const done = this.onReplyDone;
      this.onReplyDone = undefined;
      done?.();
    }
    return undefined;
  }

  private push(line: string): void {
    this.queue.push(line);
    this.queued += line.length;
    this.box.share(line.length);
  }
}

/** The socket of one connection and the requests waiting to write on it. */
export class Outbox {
  private readonly active = new Set<Outgoing>();
  private gone = false;
  private full = false;
  private pumping = false;
  /** lines written by the current callback, sent together once it is done (see put) */
  private held: string[] = [];
  /** their characters (a cheap stand-in for bytes) */
  private heldChars = 0;

  constructor(
    private readonly socket: net.Socket,
    private readonly opts: OutboxOptions,
  ) {
    socket.on('drain', () => this.onDrain());
  }

  /** The socket holds less than the high-water mark: more may be written now. */
  get ready(): boolean {
    return !this.gone && this.unsent < this.opts.highWater;
  }

  /** A stream's queue budget, in characters. */
  get streamQueue(): number {
    return this.opts.streamQueue;
  }

  /** Whether every stream together has queued its shared bound. */
  get sharedFull(): boolean {
    const s = this.opts.shared;
    return s !== undefined && s.queued >= s.max;
  }

  /** Counts `n` characters queued (or, negative, taken) against the shared bound. */
  share(n: number): void {
    if (this.opts.shared) this.opts.shared.queued += n;
  }

  /** A new source of lines for one request. */
  open(id: RequestId, encode: EventEncoder): Outgoing {
    return new Outgoing(this, id, encode);
  }

  /** Writes a small frame (errors, cancel replies) now, whatever waits: with this callback's lines (see put). */
  writeNow(line: string): void {
    if (!this.writable()) return;
    this.put(line);
    this.checkFull();
  }

  /** `o` has something to write: it is written now if the socket takes it, else after the next drain. */
  activate(o: Outgoing): void {
    if (this.gone) return;
    this.active.add(o);
    if (this.ready) this.pump();
  }

  /** `o` writes nothing more. */
  deactivate(o: Outgoing): void {
    this.active.delete(o);
  }

  /** The connection is gone: what was written goes out if the socket still takes it; what waits is dropped. */
  close(): void {
    this.send();
    this.gone = true;
    // each gives back what it queued to the shared bound (one whose request was over still had it)
    for (const o of [...this.active]) o.cancel();
    this.active.clear();
  }

  private writable(): boolean {
    if (this.gone) return false;
    if (this.socket.destroyed || this.socket.writableEnded) {
      this.close();
      return false;
    }
    return true;
  }

  /** Writes from every waiting source in turn, one line each, while the socket takes more. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.active.size > 0 && this.ready && this.writable()) {
        for (const o of this.active) {
          if (!this.ready || !this.writable()) break;
          const line = o.take();
          if (line !== undefined) this.put(line);
          else if (!o.pending) this.active.delete(o);
        }
      }
    } finally {
      this.pumping = false;
    }
    this.checkFull();
  }

  /**
   * Why: a follower is sent one frame a log line, and a read of a flooding service is ~1,000
   * lines: written one by one, each was a system call that woke the client, and with 10 followers
   * of a `yes` the loop spent seconds in one turn (a `status` took 8 s to be answered). Held until
   * the callback that wrote them is done, the lines go out in one write; held here rather than in
   * a corked socket, a line costs an array slot, not a stream request.
   */
  private put(line: string): void {
    if (this.held.length === 0) process.nextTick(() => this.send());
    this.held.push(line);
    this.heldChars += line.length;
  }

  /** Writes what put held. */
  private send(): void {
    if (this.held.length === 0) return;
    const text = this.held.length === 1 ? this.held[0]! : this.held.join('');
    this.held = [];
    this.heldChars = 0;
    // its callback, once the kernel took it, goes on as a drain does: a write under the socket's
    // own high-water mark is never followed by a 'drain'
    if (this.writable()) this.socket.write(text, () => this.onDrain());
    this.checkFull();
  }

  /** Bytes (about) written and not yet taken by the kernel. */
  private get unsent(): number {
    return this.socket.writableLength + this.heldChars;
  }

  private checkFull(): void {
    if (this.full || this.gone || this.unsent <= this.opts.pauseAt) return;
    this.full = true;
    this.opts.onFull(true);
  }

  /** A write was taken: once everything written is read, requests are read again; what waits goes out. */
  private onDrain(): void {
    if (this.full && !this.gone && this.unsent === 0) {
      this.full = false;
      this.opts.onFull(false);
    }
    this.pump();
  }
}

/** The frame that says `n` events of stream `id` were skipped here. */
function lagLine(id: RequestId, n: number): string {
  return `{"id":${JSON.stringify(id)},"lagged":${n}}\n`;
}
