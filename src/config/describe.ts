// How a config value is named in an error message: `"alway"`, `12`, `a list`.

/** A bad value from a value parser; `path` locates it inside the value (e.g. a list index). */
export class ValueError extends Error {
  readonly path: (string | number)[];
  constructor(message: string, path: (string | number)[] = []) {
    super(message);
    this.name = 'ValueError';
    this.path = path;
  }
}

/** Names a value the way "got ..." reads best: strings quoted, collections by kind. */
export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') {
    const s = v.length > 60 ? `${v.slice(0, 57)}...` : v;
    return JSON.stringify(s);
  }
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return v.length === 0 ? 'an empty list' : 'a list';
  if (v instanceof Date) return `a date (${v.toISOString().slice(0, 10)})`;
  if (typeof v === 'object') return Object.keys(v).length === 0 ? 'an empty mapping' : 'a mapping';
  return typeof v;
}

/** Builds the standard message `expected X; got Y`. */
export function expected(what: string, got: unknown): string {
  return `expected ${what}; got ${describe(got)}`;
}
