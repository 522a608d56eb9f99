// The daemon's cgroups: its subtree for this socket (opened once the socket is tend's, reusing the
// one an earlier daemon recorded, to adopt from it), each instance's cgroup with its limits, and
// the subtree's removal at shutdown. Without a writable cgroup v2 it warns once; services then use
// process groups. It says, once per service, which of its `limits` and `capabilities` do not apply
// as written.
import { CgroupTree, subtreeName } from '../cgroup/tree.js';
import type { ServiceCgroup } from '../cgroup/service.js';
import { capabilitiesWarning, nofileWarning, oomWarning } from '../config/host-fences.js';
import type { Journal } from '../core/journal.js';
import type { InstanceSpec } from '../core/types.js';

/** Why: the spawner, adoption and reload reach cgroups through one owner, opened and released as a part. */
export class DaemonCgroups {
  readonly name = 'cgroups';
  private subtree: CgroupTree | undefined;
  private readonly warned = new Set<string>();

  constructor(
    private readonly d: {
      socket: string;
      journal: Journal;
      /** the subtree an earlier daemon of this socket recorded (read by the state file first) */
      priorRoot(): string | null | undefined;
      /** the one start-up line when cgroup v2 cannot be used */
      say(line: string): void;
    },
  ) {}

  /** The subtree (undefined until started, or without cgroup v2). */
  get tree(): CgroupTree | undefined {
    return this.subtree;
  }

  /** Creates (or reuses the prior root, checked by the state file) the subtree and moves tend into it. */
  start(): void {
    const opened = CgroupTree.open({ root: this.d.priorRoot() ?? undefined, name: subtreeName(this.d.socket) });
    this.subtree = opened.tree;
    if (opened.warning) this.d.say(`tend: warning: ${opened.warning}`);
  }

  /** The cgroup of an instance with its limits applied, or undefined (process group); warns once per problem. */
  for(inst: InstanceSpec): ServiceCgroup | undefined {
    const { memory, cpu, pids, nofile } = inst.spec.limits;
    // not a cgroup's, but what the child may not get as asked, with no error: said here, with the
    // limits that are not applied
    const lower = nofile === undefined ? undefined : nofileWarning(nofile);
    if (lower) this.warnOnce(inst.id, lower);
    const lacking = capabilitiesWarning(inst.spec.fences);
    if (lacking) this.warnOnce(inst.id, lacking);
    const oom = oomWarning(inst.spec.fences);
    if (oom) this.warnOnce(inst.id, oom);
    if (!this.subtree) {
      // the limits it has, named
      const set = Object.entries({ memory, cpu, pids }).filter(([, v]) => v !== undefined);
      if (set.length) {
        const names = set.map(([k]) => `limits.${k}`).join(', ');
        this.warnOnce(inst.id, `${names} not applied: no writable cgroup v2 (see the warning at start-up)`);
      }
      return undefined;
    }
    const cg = this.subtree.service(inst.id);
    for (const w of cg.applyLimits(inst.spec.limits)) this.warnOnce(inst.id, w);
    return cg;
  }

  /** The instance left the config and has stopped: its cgroup goes. */
  forget(id: string): void {
    this.subtree?.remove(id);
  }

  /** Shutdown: the empty cgroups go, tend moves back where it came from, the subtree goes. */
  close(): void {
    this.subtree?.prune();
    this.subtree?.release();
  }

  private warnOnce(id: string, msg: string): void {
    const key = `${id}\0${msg}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.d.journal.add(id, 'warning', msg);
  }
}
