// Which journal entries a name asked for names (`tend events NAME`), and the text `--grep` matches:
// small, for the command line too.

/**
 * Why: a name asked for is a service, an instance, or a replica set whose instances (`many.3`) it
 * names, which a reload may have removed: the entries of `many.1`...`many.12` are `many`'s too.
 */
export function eventNamed(names: readonly string[], service: string): boolean {
  if (names.includes(service)) return true;
  const dot = service.lastIndexOf('.');
  return dot > 0 && /^\d+$/.test(service.slice(dot + 1)) && names.includes(service.slice(0, dot));
}

/** What `tend events --grep` matches of an entry: its service, what and why, as printed after the time. */
export function eventText(e: { service: string; what: string; why: string }): string {
  return `${e.service} ${e.what} ${e.why}`;
}
