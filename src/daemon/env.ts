// The environment of a service's process: tend's own (read once: process.env is a slow view of
// environ), under the service's env and env_file, plus TEND_SERVICE, TEND_INSTANCE, TEND_REPLICA.
import type { InstanceSpec } from '../core/types.js';

/** Why: every spawn and exec probe needs it; returns the builder over `base` (tend's environment). */
export function serviceEnv(base: NodeJS.ProcessEnv): (inst: InstanceSpec) => Record<string, string> {
  const own: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) own[k] = v;
  return (inst) => {
    const e: Record<string, string> = { ...own, ...inst.spec.env };
    e.TEND_SERVICE = inst.service;
    e.TEND_INSTANCE = inst.id;
    if (inst.replica !== undefined) e.TEND_REPLICA = String(inst.replica);
    return e;
  };
}
