// The daemon as a list of parts (the reaper, the logs, the control socket, the services, the
// file watch, ...): each may start and close. They start in the order they were added and close
// in the reverse order, so what came up last goes down first; adding a part to tend is one line
// in runDaemon plus its own module.

/** One part of the running daemon. */
export interface Part {
  /** for error messages: "closing <name> failed: ..." */
  readonly name: string;
  /** Brings it up; a throw stops start-up (the parts already started are closed). */
  start?(): void | Promise<void>;
  /** Takes it down; awaited at most `closeWithinMs` (default 2 s), a throw is reported and passed. */
  close?(): void | Promise<void>;
  /** how long close() may take before the next part closes anyway (Infinity: it bounds itself) */
  readonly closeWithinMs?: number;
}

const CLOSE_WITHIN_MS = 2000;

/** The parts of one daemon, started in order and closed in reverse. */
export class Parts {
  private readonly added: Part[] = [];
  private readonly started: Part[] = [];
  private starting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  /** @param onError a close that failed (the others close anyway) */
  constructor(private readonly onError: (message: string) => void = () => {}) {}

  /** Adds a part (started by start(), in this order); returns it. */
  add<P extends Part>(part: P): P {
    this.added.push(part);
    return part;
  }

  /** Starts every part in order; rejects with the first failure (the caller then closes). */
  start(): Promise<void> {
    this.starting ??= (async () => {
      for (const p of this.added) {
        if (this.closing) return; // shutdown asked for during start-up: start nothing more
        await p.start?.();
        this.started.push(p);
      }
    })();
    return this.starting;
  }

  /** Closes the started parts, the last started first. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.starting?.catch(() => {}); // a part half-way through its start finishes it first
      for (const p of [...this.started].reverse()) {
        try {
          await within(p.closeWithinMs ?? CLOSE_WITHIN_MS, p.close?.());
        } catch (e) {
          this.onError(`closing ${p.name} failed: ${(e as Error).message}`);
        }
      }
    })();
    return this.closing;
  }
}

/** Waits for `p`, at most `ms` (Infinity: as long as it takes). */
export async function within(ms: number, p: void | Promise<void>): Promise<void> {
  if (!p) return;
  if (ms === Infinity) return p;
  let t: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((r) => (t = setTimeout(r, ms)))]);
  clearTimeout(t);
}
