// The service names of a config without parsing YAML: a line scan of the `services:` block, for
// completion (it runs at each Tab, so it must be quick and load nothing).

/**
 * Instance names declared in config text: the keys one level under a top-level `services:`, and
 * NAME.1 ... NAME.N for a service whose block says `replicas: N`. Flow style (`services: {...}`)
 * yields nothing; completion then offers no names, which is all a wrong guess would cost.
 */
export function configServiceNames(text: string): string[] {
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((l) => /^services\s*:\s*(#.*)?$/.test(l));
  if (start < 0) return [];
  const out: string[] = [];
  let indent = -1;
  let current: string | undefined;
  const close = (replicas: number | undefined): void => {
    if (current === undefined) return;
    if (replicas && replicas > 1) for (let k = 1; k <= replicas; k++) out.push(`${current}.${k}`);
    else out.push(current);
  };
  let replicas: number | undefined;
  for (const line of lines.slice(start + 1)) {
    if (/^\s*(#.*)?$/.test(line)) continue;
    if (/^\S/.test(line)) break; // the next top-level key
    const lead = /^ */.exec(line)![0].length;
    if (indent < 0) indent = lead;
    if (lead === indent) {
      close(replicas);
      replicas = undefined;
      // a key may be quoted ("web": or 'api-2':), as YAML allows
      const m = /^ *(["']?)([a-z0-9][a-z0-9_-]{0,62})\1 *:/.exec(line);
      current = m ? m[2] : undefined;
    } else if (lead > indent) {
      const r = /^ *replicas *: *(\d+) *(#.*)?$/.exec(line);
      if (r) replicas = Number(r[1]);
    }
  }
  close(replicas);
  return out;
}
