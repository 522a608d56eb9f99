// Checks between services: unknown dependencies, `completed` on a non-oneshot one, cycles.
import { hint } from '../core/did-you-mean.js';
import type { PathSeg } from './locate.js';
import type { Problems } from './problems.js';

/** One dependency as written: the service it names, the condition, and where it sits. */
export interface DepEntry {
  name: string;
  condition: unknown;
  /** the path segment under depends_on: the key (mapping form) or the index (list form) */
  seg: PathSeg;
}

/** Reads depends_on leniently (bad shapes are reported by the schema, not here). */
export function readDeps(v: unknown): DepEntry[] {
  if (Array.isArray(v)) {
    return v.flatMap((item, i) => (typeof item === 'string' ? [{ name: item, condition: 'started', seg: i }] : []));
  }
  if (typeof v === 'object' && v !== null) {
    return Object.entries(v).map(([name, condition]) => ({ name, condition, seg: name }));
  }
  return [];
}

/** Reports unknown names (did-you-mean), `completed` on non-oneshot services, and every cycle. */
export function checkDeps(services: ReadonlyMap<string, { deps: DepEntry[]; type: unknown }>, problems: Problems): void {
  const names = [...services.keys()];
  for (const [svc, { deps }] of services) {
    for (const dep of deps) {
      const at: PathSeg[] = ['services', svc, 'depends_on', dep.seg];
      const target = services.get(dep.name);
      if (!target) {
        // never the service itself: it cannot depend on itself (a name removed from the config was
        // "did you mean" the one that still named it)
        const others = names.filter((n) => n !== svc);
        problems.add(at, `unknown service ${JSON.stringify(dep.name)}${hint(dep.name, others)}`, { key: true });
      } else if (dep.condition === 'completed' && target.type !== 'oneshot') {
        problems.add(at, `expected started or healthy (${dep.name} is not a oneshot service); got "completed"`);
      }
    }
  }
  for (const cycle of findCycles(services)) {
    const [first, second] = cycle;
    const dep = services.get(first!)!.deps.find((d) => d.name === second)!;
    problems.add(['services', first!, 'depends_on', dep.seg], `dependency cycle: ${cycle.join(' -> ')}`, {
      key: true,
    });
  }
}

/**
 * Cycles among known services, each as `[a, b, ..., a]`, rotated to start at the one declared
 * first, one per back edge of a depth-first walk in file order.
 */
export function findCycles(services: ReadonlyMap<string, { deps: DepEntry[] }>): string[][] {
  const order = new Map([...services.keys()].map((n, i) => [n, i]));
  const color = new Map<string, 'grey' | 'black'>();
  const stack: string[] = [];
  const found = new Map<string, string[]>();
  const visit = (n: string): void => {
    color.set(n, 'grey');
    stack.push(n);
    for (const d of services.get(n)!.deps) {
      if (!services.has(d.name)) continue;
      const c = color.get(d.name);
      if (c === 'grey') {
        const loop = stack.slice(stack.indexOf(d.name));
        let start = 0;
        loop.forEach((x, i) => {
          if (order.get(x)! < order.get(loop[start]!)!) start = i;
        });
        const rotated = [...loop.slice(start), ...loop.slice(0, start)];
        found.set(rotated.join('\0'), [...rotated, rotated[0]!]);
      } else if (c === undefined) visit(d.name);
    }
    stack.pop();
    color.set(n, 'black');
  };
  for (const n of services.keys()) if (!color.has(n)) visit(n);
  return [...found.values()];
}
