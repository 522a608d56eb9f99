// `tend up NAME...`: only the named services, and what they depend on, come up; the others are
// declared but enter the store stopped, saying why (status: "not selected by tend up web").
import type { InstanceSpec, Spec } from '../core/types.js';
import type { Entry } from '../reconcile/supervisor.js';

/** The names of `tend up NAME...` that match nothing in `spec` (a service, replica set or instance; `all`). */
export function unknownNames(spec: Spec, names: readonly string[]): string[] {
  const known = new Set<string>(['all']);
  for (const s of spec.services) {
    known.add(s.name);
    if (s.replicas > 1) for (let k = 1; k <= s.replicas; k++) known.add(`${s.name}.${k}`);
  }
  return names.filter((n) => !known.has(n));
}

/**
 * Why: the selection overrides autostart for this run of tend. A named instance is wanted up (even
 * with autostart: false, or stopped under an earlier tend); `base` still decides the rest of its
 * entry (a oneshot completed under an earlier tend stays completed). The Supervisor brings up
 * what the wanted ones depend on. No names, or `all`: `base` alone.
 */
export function selectEntry(names: readonly string[], base: (i: InstanceSpec) => Entry): (i: InstanceSpec) => Entry {
  if (names.length === 0 || names.includes('all')) return base;
  const wanted = new Set(names);
  const why = `not selected by tend up ${names.join(' ')}`;
  return (inst) => {
    if (!wanted.has(inst.service) && !wanted.has(inst.id)) return { down: why };
    const e = base(inst);
    return e === 'down' || (typeof e === 'object' && 'down' in e) ? 'up' : e;
  };
}
