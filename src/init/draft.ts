// What `tend init --from` builds before it is written out: services in tend's terms, and what the
// source said that has no place in them (the report printed to stderr).

/** A dependency condition of tend. */
export type Condition = 'started' | 'healthy' | 'completed';

/** A readiness probe carried over (from a compose healthcheck). */
export interface DraftProbe {
  exec: string | string[];
  interval?: string;
  timeout?: string;
  initial_delay?: string;
}

/** One service as it will be written. */
export interface DraftService {
  name: string;
  /** its name in the source, when it had to be renamed */
  was?: string;
  command: string | string[];
  type?: 'oneshot';
  cwd?: string;
  user?: string;
  group?: string;
  env?: Record<string, string>;
  env_file?: string[];
  restart?: 'always' | 'on-failure' | 'never';
  /** a comment for the restart line (where the value came from) */
  restartNote?: string;
  readiness?: DraftProbe;
  depends_on?: Record<string, Condition>;
  replicas?: number;
}

/** A converted file: its services, what was left behind (per service or for the file), where from. */
export interface Draft {
  /** the file it came from, as the user named it */
  source: string;
  services: DraftService[];
  /** what could not be carried over: `web: image, ports, volumes`, `top level: networks` */
  dropped: string[];
  /** other things worth saying: renames, skipped services, defaults */
  notes: string[];
}

/** tend's service name rule. */
export const NAME_RULE = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/**
 * A source name in tend's rule [a-z0-9][a-z0-9_-]{0,62}: lower case, other characters as `-`,
 * leading `-`/`_` dropped, cut at 63; `taken` names get `-2`, `-3`... Empty: `service`.
 */
export function serviceName(raw: string, taken: ReadonlySet<string>): string {
  let base = raw
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  if (!base) base = 'service';
  let name = base;
  for (let k = 2; taken.has(name); k++) name = `${base.slice(0, 63 - String(k).length - 1)}-${k}`;
  return name;
}

/** Names for every source name, in order (index for index), with the renames said in `notes`. */
export function nameAll(raws: readonly string[], notes: string[]): string[] {
  const taken = new Set<string>();
  return raws.map((raw) => {
    const valid = NAME_RULE.test(raw);
    const name = valid && !taken.has(raw) ? raw : serviceName(raw, taken);
    // why it was renamed: written twice, or not a name tend takes
    if (name !== raw && valid) notes.push(`${JSON.stringify(raw)} is written twice: the second is named ${name}`);
    else if (name !== raw) notes.push(`${JSON.stringify(raw)} is named ${name} (tend's names: a-z, 0-9, _ and -, at most 63)`);
    taken.add(name);
    return name;
  });
}
