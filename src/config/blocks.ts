// Cuts a config's text into the part outside `services:` and one block of lines per service, for
// the incremental reload of load.ts: a block whose text did not change need not be parsed again.
// Only a plain layout is cut; anything else (anchors, aliases, merge keys, tags, directives,
// several documents, tabs, flow style at the top, odd indentation) gives undefined and the whole
// file is parsed as usual. Being conservative costs only time, never correctness.

/** One service's lines: its key line and everything indented under it (comments, blank lines). */
export interface ServiceBlock {
  name: string;
  text: string;
}

export interface SplitConfig {
  /** the file with the services section's lines left out (settings and any other top key) */
  outside: string;
  blocks: ServiceBlock[];
}

// `&name`, `*name`, `!tag`, `<<` anywhere but inside a quoted scalar could tie blocks together or
// change how a value reads; we do not look inside quotes, so any of them sends us to the full parse
const CROSSING = /(?:^|[\s[{,:-])(?:[&*!][^\s,[\]{}&|=]|<<)/m;
const TOP_KEY = /^([A-Za-z_][A-Za-z0-9_-]*):[ \t]*(?:#.*)?$/;
const SERVICE_KEY = /^( +)([a-z0-9][a-z0-9_-]*):[ \t]*(?:#.*)?$/;

function indentOf(line: string): number {
  let i = 0;
  while (i < line.length && line.charCodeAt(i) === 32) i++;
  return i;
}

/** True for a line that holds nothing for YAML at block level: blank, or only a comment. */
function empty(line: string): boolean {
  const t = line.trimStart();
  return t === '' || t.startsWith('#');
}

/** The split of `text`, or undefined when its layout is not the plain one this handles. */
export function splitConfig(text: string): SplitConfig | undefined {
  if (text.includes('\t') || text.includes('\r') || CROSSING.test(text)) return undefined;
  const lines = text.split('\n');
  const outside: string[] = [];
  const blocks: ServiceBlock[] = [];
  const names = new Set<string>();
  let inServices = false;
  let sawServices = false;
  let indent = -1;
  let current: string[] | undefined;
  const close = (): void => {
    if (current) blocks[blocks.length - 1]!.text = current.join('\n');
    current = undefined;
  };
  for (const line of lines) {
    if (line.startsWith('---') || line.startsWith('...') || line.startsWith('%')) return undefined;
    const atTop = line.length > 0 && line.charCodeAt(0) !== 32 && line.charCodeAt(0) !== 35;
    if (atTop) {
      const m = TOP_KEY.exec(line);
      if (!m) {
        // `key: value` at the top is fine outside services; `services: {…}` or `- x` is not ours
        if (line.startsWith('services') || line.startsWith('-')) return undefined;
        close();
        inServices = false;
        outside.push(line);
        continue;
      }
      close();
      if (m[1] === 'services') {
        if (sawServices) return undefined; // a duplicate key: the full parse says so
        sawServices = inServices = true;
        outside.push(''); // keeps the line count of what is outside (unused, but honest)
        continue;
      }
      inServices = false;
      outside.push(line);
      continue;
    }
    if (!inServices) {
      outside.push(line);
      continue;
    }
    if (empty(line)) {
      current?.push(line);
      continue;
    }
    const ind = indentOf(line);
    if (indent === -1) indent = ind;
    if (ind < indent) return undefined;
    if (ind === indent) {
      const m = SERVICE_KEY.exec(line);
      if (!m || m[1]!.length !== indent) return undefined;
      const name = m[2]!;
      if (names.has(name)) return undefined;
      names.add(name);
      close();
      blocks.push({ name, text: '' });
      current = [line];
      continue;
    }
    if (!current) return undefined;
    current.push(line);
  }
  close();
  if (!sawServices || blocks.length === 0) return undefined;
  return { outside: outside.join('\n'), blocks };
}
