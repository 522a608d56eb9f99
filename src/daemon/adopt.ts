// Adoption: live service cgroups left by an earlier daemon (killed, crashed, upgraded) are taken
// over when their process spec is unchanged, instead of starting second copies.
import { processHash } from '../config/diff.js';
import type { Journal } from '../core/journal.js';
import type { InstanceSpec } from '../core/types.js';
import type { CgroupTree } from '../cgroup/tree.js';
import type { readState } from './state-file.js';

/** Live cgroups of an earlier daemon: adopt those whose spec is unchanged, kill the rest. */
export function adoptable(
  tree: CgroupTree,
  insts: InstanceSpec[],
  prior: ReturnType<typeof readState>,
  journal: Journal,
): Array<{ id: string; pid: number; spawns: number; startedAt: number; cg: ReturnType<CgroupTree['service']> }> {
  const byId = new Map(insts.map((i) => [i.id, i]));
  const out = [];
  for (const ex of tree.existing()) {
    if (ex.pids.length === 0) continue;
    const inst = byId.get(ex.id);
    const rec = prior && Object.hasOwn(prior.instances, ex.id) ? prior.instances[ex.id] : undefined;
    const cg = tree.service(ex.id);
    if (inst && rec && rec.hash === processHash(inst)) {
      const pid = ex.pids.includes(rec.pid) ? rec.pid : ex.pids[0]!;
      out.push({ id: ex.id, pid, spawns: rec.spawns, startedAt: rec.startedAt, cg });
      journal.add(ex.id, 'adopt', `pid ${pid} still runs from an earlier tend: adopted`);
    } else {
      cg.kill();
      journal.add(ex.id, 'kill', inst ? 'left by an earlier tend with another config: restarting it' : 'left by an earlier tend and no longer declared: killed');
    }
  }
  return out;
}

