// Every process tend starts (services, exec probes) is started by the addon (spawn/launcher.ts);
// tend is a child subreaper and reaps every child: exits go to their watchers, orphans are just
// reaped. At shutdown, the orphans still running go too (PID 1's duty, see pid1.ts).
import { startReaper, type Reaper } from '../spawn/children.js';
import type { Part } from './parts.js';
import { reapDescendants } from './pid1.js';

/** Why: the first part up and the last down: no child of tend is ever left a zombie. */
export class ChildReaper implements Part {
  readonly name = 'reaper';
  private reaper: Reaper | undefined;

  start(): void {
    this.reaper = startReaper();
  }

  /** SIGTERM to every child left (orphans reparented to tend), SIGKILL after `ms`; `say` is told whom it waits for. */
  async reapDescendants(ms: number, say?: (line: string) => void): Promise<void> {
    if (this.reaper) await reapDescendants(this.reaper, ms, say);
  }

  close(): void {
    this.reaper?.stop();
  }
}
