// The shell's only door to the daemon: a request/stream client interface typed by the wire
// protocol, so the shell can be tested with a fake object and stays independent of the socket code.
import type { ArgsOf, CommandName, EventOf, ResultOf, StreamName } from '../control/wire.js';

/** What the shell needs from a control-socket client. */
export interface ShellBackend {
  /** one request, one reply; rejects with the daemon's error */
  request<C extends CommandName>(cmd: C, args: ArgsOf<C>): Promise<ResultOf<C>>;
  /** a subscription: onEvent for each event until close() or the connection ends */
  stream<C extends StreamName>(
    cmd: C,
    args: ArgsOf<C>,
    onEvent: (e: EventOf<C>) => void,
  ): { done: Promise<unknown>; close(): void };
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
