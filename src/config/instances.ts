// Expands services into process slots: one per service, or NAME.1..NAME.N for replicas.
import type { InstanceSpec, Spec } from '../core/types.js';

// Specs are never changed once built: the same services give the same instance objects, so the
// per-instance caches (processHash) hold across calls and reloads.
const expanded = new WeakMap<Spec['services'], InstanceSpec[]>();

/** Every instance of the spec, in file order; replicas > 1 give ids `web.1`..`web.N`. */
export function expandInstances(spec: Spec): InstanceSpec[] {
  let out = expanded.get(spec.services);
  if (!out) {
    out = expand(spec);
    expanded.set(spec.services, out);
  }
  return out.slice();
}

function expand(spec: Spec): InstanceSpec[] {
  const out: InstanceSpec[] = [];
  for (const s of spec.services) {
    if (s.replicas <= 1) out.push({ id: s.name, service: s.name, spec: s });
    else for (let r = 1; r <= s.replicas; r++) out.push({ id: `${s.name}.${r}`, service: s.name, replica: r, spec: s });
  }
  return out;
}
