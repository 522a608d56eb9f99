// Carrying on after an earlier daemon of the same socket (killed, crashed, upgraded): what its
// state file recorded comes back (a service stopped on request stays stopped, a oneshot that
// completed does not run again), and its live service cgroups are adopted when their process
// spec is unchanged, instead of starting second copies. Everything else it left is killed.
import { processHash } from '../config/diff.js';
import type { Journal } from '../core/journal.js';
import type { InstanceSpec, Trigger } from '../core/types.js';
import type { CgroupTree } from '../cgroup/tree.js';
import type { Entry } from '../reconcile/supervisor.js';
import type { DaemonState, StateRecord } from './state-file.js';

/** A live process to adopt, with what the earlier daemon recorded of it. */
export interface Adoption {
  id: string;
  pid: number;
  spawns: number;
  restarts?: number;
  startedAt: number;
  /** false: it had not passed readiness under the earlier tend (adopted as starting) */
  ready: boolean;
  /** why its run started, as the earlier tend recorded it */
  trigger?: Trigger;
  cg: ReturnType<CgroupTree['service']>;
}

function recordOf(prior: DaemonState | undefined, id: string): StateRecord | undefined {
  return prior && Object.hasOwn(prior.instances, id) ? prior.instances[id] : undefined;
}

/** Live cgroups of an earlier daemon: adopt those whose spec is unchanged, kill the rest (saying why). */
export function adoptable(tree: CgroupTree, insts: InstanceSpec[], prior: DaemonState | undefined, journal: Journal): Adoption[] {
  const byId = new Map(insts.map((i) => [i.id, i]));
  const out: Adoption[] = [];
  for (const ex of tree.existing()) {
    if (ex.pids.length === 0) continue;
    const inst = byId.get(ex.id);
    const rec = recordOf(prior, ex.id);
    const cg = tree.service(ex.id);
    const why = !inst
      ? 'left by an earlier tend and no longer declared: killed'
      : !rec || rec.pid === null
        ? 'left by an earlier tend, which had no live run of it on record: killed'
        : !ex.pids.includes(rec.pid)
          ? `left by an earlier tend, whose main process of it (pid ${rec.pid}) had ended: killed`
          : rec.hash !== processHash(inst)
            ? 'left by an earlier tend with another config: restarting it'
            : undefined;
    if (why === undefined) {
      out.push({
        id: ex.id,
        pid: rec!.pid!,
        spawns: rec!.spawns,
        restarts: rec!.restarts,
        startedAt: rec!.startedAt ?? Date.now(),
        ready: rec!.ready !== false,
        ...(rec!.trigger ? { trigger: rec!.trigger } : {}),
        cg,
      });
      journal.add(
        ex.id,
        'adopt',
        `pid ${rec!.pid} still runs from an earlier tend: adopted; its output is lost until it restarts`,
      );
    } else {
      cg.kill();
      journal.add(ex.id, 'kill', why);
    }
  }
  return out;
}

/**
 * How each instance enters the store after an earlier daemon: stopped when it was stopped on
 * request, completed when it completed with this very process spec, else as that daemon wanted.
 * Says so in the journal for the first two.
 */
export function entryAfter(prior: DaemonState | undefined, journal: Journal): (inst: InstanceSpec) => Entry {
  return (inst) => {
    const rec = recordOf(prior, inst.id);
    if (!rec) return inst.spec.autostart ? 'up' : 'down';
    if (rec.want === 'down') {
      if (!inst.spec.autostart) return 'down';
      journal.add(inst.id, 'recall', 'stopped on request under an earlier tend: stays stopped');
      // its status says why it is stopped (it said "autostart is off")
      return { down: 'stopped on request under an earlier tend' };
    }
    if (rec.completedAt !== undefined && rec.hash === processHash(inst)) {
      journal.add(inst.id, 'recall', 'completed under an earlier tend with this spec: not run again');
      return { completedAt: rec.completedAt };
    }
    return 'up';
  };
}
