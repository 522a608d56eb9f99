// The shell's only door to the daemon: a request/stream client interface, so the shell can be
// tested with a fake object and stays independent of the socket code.

/** What the shell needs from a control-socket client. */
export interface ShellBackend {
  /** one request, one reply; rejects with the daemon's error */
  request(cmd: string, args: Record<string, unknown>): Promise<unknown>;
  /** a subscription: onEvent for each event until close() or the connection ends */
  stream(
    cmd: string,
    args: Record<string, unknown>,
    onEvent: (e: unknown) => void,
  ): { done: Promise<void>; close(): void };
  /** whether the daemon answers right now */
  connected: boolean;
  /** where the daemon is looked for (the socket path), for messages */
  where?: string;
  /**
   * called on every connect/disconnect, and once with false when the first attempt fails;
   * returns an unsubscribe function
   */
  onStatus(cb: (connected: boolean) => void): () => void;
}

/**
 * Runs a one-shot command line exactly as the CLI does, printing through `out`; resolves to its
 * exit code. `signal` aborts it when the user presses Ctrl-C (the shell stops printing either way).
 */
export type RunLine = (line: string, out: (text: string) => void, signal?: AbortSignal) => Promise<number>;

/** A row of `request('status', {})`. */
export interface StatusRow {
  name: string;
  state: string;
  pid: number | null;
  restarts: number;
  exit_code: number | null;
  since: string;
  cpu: number | null;
  memory: number | null;
  uptime_ms?: number | null;
  waiting?: string | null;
}

/** An event of `stream('events', { follow: true })`. */
export interface EventRow {
  time: string;
  service: string;
  what: string;
  why: string;
  state?: string;
}
