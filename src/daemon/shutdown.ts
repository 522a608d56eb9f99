// The way out of the daemon: every part closed, the last started first (the config watch, then
// the services, stopped within shutdown_timeout, then the state file, the cgroups, the socket,
// the logs, the reaper), then the exit code. One path for SIGTERM, SIGINT, `tend shutdown`,
// exit_with and a failed start-up.
import type { Parts } from './parts.js';

/** Why: tend exits once, with the code the first request for it named. */
export class Shutdown {
  private closing: Promise<number> | undefined;
  private resolveDone!: (code: number) => void;
  /** resolves with the exit code once everything is closed */
  readonly done = new Promise<number>((r) => (this.resolveDone = r));

  constructor(
    private readonly parts: Parts,
    /** the last words: what is still queued for the terminal */
    private readonly flush: () => void = () => {},
  ) {}

  /** Whether shutdown has begun (commands that would start something are refused). */
  get started(): boolean {
    return this.closing !== undefined;
  }

  /** Begins shutdown (once: later calls get the first one's code); resolves with the exit code. */
  begin(code = 0): Promise<number> {
    this.closing ??= (async () => {
      await this.parts.close();
      this.flush();
      this.resolveDone(code);
      return code;
    })();
    return this.closing;
  }
}
