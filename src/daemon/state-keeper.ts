// The state file as a part of the daemon: at start-up it reads what an earlier daemon of this
// socket left (checked; an untrusted file is ignored with a warning), then keeps the file in step
// with the store; a clean shutdown removes it (nothing is left to carry on).
import { processHash } from '../config/diff.js';
import type { Journal } from '../core/journal.js';
import type { Instance } from '../core/instance.js';
import type { Supervisor } from '../reconcile/supervisor.js';
import type { Part } from './parts.js';
import { type DaemonState, readState, stateFileOf, stateWriter } from './state-file.js';

const hashOf = (i: Instance): string => processHash(i.inst);

/** Why: a daemon killed with -9 is followed by one that carries on; this keeps what it needs. */
export class StateKeeper implements Part {
  readonly name = 'state file';
  private readonly file: string;
  private found: DaemonState | undefined;
  private writer: ReturnType<typeof stateWriter> | undefined;
  private off: (() => void) | undefined;

  constructor(private readonly d: { socket: string; sup: Supervisor; journal: Journal; cgroupRoot(): string | null }) {
    this.file = stateFileOf(d.socket);
  }

  /** What the earlier daemon left, once started (undefined: nothing, or not trusted). */
  get prior(): DaemonState | undefined {
    return this.found;
  }

  start(): void {
    const { state, ignored, stale } = readState(this.file, this.d.socket);
    if (ignored) this.d.journal.add('tend', 'warning', `ignoring the state an earlier tend left: ${ignored}`);
    if (stale) this.d.journal.add('tend', 'recall', `not carrying on from an earlier tend: ${stale}`);
    this.found = state;
    const { sup } = this.d;
    this.writer = stateWriter(this.file, () => ({ cgroupRoot: this.d.cgroupRoot(), live: sup.store.values(), hash: hashOf }));
    this.off = sup.onChange(() => this.writer!.touch());
  }

  /** Writes the state soon (start-up: what came back from the earlier daemon is in the store). */
  touch(): void {
    this.writer?.touch();
  }

  close(): void {
    this.off?.();
    this.writer?.remove();
  }
}
