// The services as a part of the daemon. Up: every instance of the config enters the store,
// carrying on from an earlier daemon of this socket (adopted processes, what was stopped or
// completed, see adopt.ts), and the loop starts the rest. Down: every service stopped (dependents
// first), SIGKILL near shutdown_timeout, then every other child of tend.
import { expandInstances } from '../config/instances.js';
import type { Journal } from '../core/journal.js';
import type { Spec } from '../core/types.js';
import type { Supervisor } from '../reconcile/supervisor.js';
import type { NotifySocket } from '../spawn/notify-socket.js';
import { adoptedPrivateTmp, removePrivateTmp } from '../spawn/fences.js';
import { adoptedHandle } from '../spawn/process.js';
import { adoptable, entryAfter } from './adopt.js';
import { selectEntry } from './select.js';
import type { DaemonCgroups } from './cgroups.js';
import type { Part } from './parts.js';
import type { ChildReaper } from './reaper.js';
import type { StateKeeper } from './state-keeper.js';
import { waitUntil } from './wait.js';

/** Why: start-up and shutdown of the services, in one place. */
export function services(d: {
  sup: Supervisor;
  journal: Journal;
  spec(): Spec;
  cgroups: DaemonCgroups;
  state: StateKeeper;
  reaper: ChildReaper;
  say(line: string): void;
  /** the services' notify socket (adopted ones keep sending to it) */
  notify?: () => NotifySocket;
  /** `tend up NAME...`: only these and their dependencies come up (select.ts) */
  only?: readonly string[];
}): Part {
  const { sup, journal } = d;
  return {
    name: 'services',
    closeWithinMs: Infinity, // bounded by shutdown_timeout below
    start() {
      const spec = d.spec();
      journal.add('tend', 'up', `pid ${process.pid}, socket ${spec.settings.socket}, ${spec.services.length} services`);
      const insts = expandInstances(spec);
      const prior = d.state.prior;
      const tree = d.cgroups.tree;
      const adopt = tree ? adoptable(tree, insts, prior, journal) : [];
      // pools and max_parallel hold from the first spawn (a reload sets them again: daemon/tasks.ts)
      sup.setLimits({ maxParallel: spec.settings.maxParallel, pools: spec.settings.pools });
      sup.add(insts, selectEntry(d.only ?? [], entryAfter(prior, journal)));
      for (const a of adopt) {
        const handle = adoptedHandle(a.cg, a.pid, d.notify);
        // its private /tmp goes once its processes are gone, as a spawn's does
        const tmp = adoptedPrivateTmp(a.pid, a.id);
        const exitOf = (cb: (e: { kind: 'lost' }) => void): void =>
          void handle.drained().then(() => {
            if (tmp) removePrivateTmp(tmp);
            cb({ kind: 'lost' });
          });
        sup.adopt(sup.store.get(a.id)!, handle, exitOf, {
          spawns: a.spawns,
          restarts: a.restarts,
          startedAt: a.startedAt,
          outputLost: true,
          ready: a.ready,
          trigger: a.trigger,
        });
      }
      d.state.touch();
    },
    async close() {
      journal.add('tend', 'shutdown', 'stopping every service');
      sup.stop([...sup.store.values()]);
      const bound = d.spec().settings.shutdownTimeout;
      const deadline = Date.now() + bound;
      const quiet = await waitUntil(sup, () => sup.quiet(), Math.max(0, bound - 500));
      if (!quiet) {
        d.say(`tend: services still running near shutdown_timeout (${bound}ms): killing them`);
        sup.killAll(`still running near shutdown_timeout (${bound}ms)`);
        await waitUntil(sup, () => sup.quiet(), Math.max(100, deadline - Date.now()));
      }
      // PID 1 / subreaper: orphans reparented to us go too (TERM, then KILL at the bound)
      await d.reaper.reapDescendants(Math.max(200, deadline - Date.now()), (line) => {
        journal.add('tend', 'shutdown', line);
        d.say(`tend: ${line}`);
      });
    },
  };
}
