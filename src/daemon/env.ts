// The environment of a service's process: tend's own (read once: process.env is a slow view of
// environ), under the service's env and env_file, plus TEND_SERVICE, TEND_INSTANCE, TEND_REPLICA.
// A transient service (`tend run NAME -- CMD`) gets its caller's environment alone, as from a shell.
import type { InstanceSpec } from '../core/types.js';

/** tend's own environment as a plain record (read once: process.env is a slow view of environ). */
export function tendEnv(base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const own: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) own[k] = v;
  return own;
}

/** Why: every spawn and exec probe needs it; returns the builder over `own` (tendEnv(), less what is tend's alone). */
export function serviceEnv(own: Record<string, string>): (inst: InstanceSpec) => Record<string, string> {
  return (inst) => {
    const e: Record<string, string> = inst.spec.transient ? { ...inst.spec.env } : { ...own, ...inst.spec.env };
    e.TEND_SERVICE = inst.service;
    e.TEND_INSTANCE = inst.id;
    if (inst.replica !== undefined) e.TEND_REPLICA = String(inst.replica);
    return e;
  };
}
