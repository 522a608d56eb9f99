// `settings.socket` read from a config's text by a line scan, for the one-shot commands: no YAML
// parser on their path (it costs start-up time), and a file broken elsewhere still names its socket.

/**
 * The value of `socket:` in the top-level `settings:` block (or `settings: {socket: X}`), as
 * written; undefined when the text sets none or writes it in a form this scan does not read.
 */
export function scanSocketSetting(text: string): string | undefined {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const top = /^(?:settings|"settings"|'settings')\s*:(.*)$/.exec(lines[i]!);
    if (!top) continue;
    const rest = stripComment(top[1]!).trim();
    if (rest.startsWith('{')) return flowSocket(rest);
    if (rest !== '') return undefined;
    // the block: lines indented more than `settings:`, until the next top-level line
    let indent: number | undefined;
    for (let j = i + 1; j < lines.length; j++) {
      const line = lines[j]!;
      if (line.trim() === '' || /^\s*#/.test(line)) continue;
      const own = line.length - line.trimStart().length;
      if (own === 0) break;
      indent ??= own;
      if (own !== indent) continue; // deeper: inside another key's value
      const m = /^\s*(?:socket|"socket"|'socket')\s*:(.*)$/.exec(line);
      if (m) return scalar(m[1]!);
    }
    return undefined;
  }
  return undefined;
}

/** `{socket: X, ...}` on one line. */
function flowSocket(flow: string): string | undefined {
  const m = /[{,]\s*(?:socket|"socket"|'socket')\s*:\s*("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^,}]*)/.exec(flow);
  return m ? scalar(m[1]!) : undefined;
}

/** A plain, 'single' or "double" quoted YAML scalar on one line; undefined for anything else. */
function scalar(raw: string): string | undefined {
  const v = raw.trim();
  if (v.startsWith('"')) {
    const m = /^"((?:[^"\\]|\\.)*)"/.exec(v);
    if (!m) return undefined;
    try {
      return JSON.parse(`"${m[1]!}"`) as string; // YAML's common escapes are JSON's
    } catch {
      return undefined;
    }
  }
  if (v.startsWith("'")) {
    const m = /^'((?:[^']|'')*)'/.exec(v);
    return m ? m[1]!.replace(/''/g, "'") : undefined;
  }
  const plain = stripComment(v).trim();
  if (plain === '' || plain === '~' || plain === 'null' || /^[|>&*!{[]/.test(plain)) return undefined;
  return plain;
}

/** The text before a ` #` comment. */
function stripComment(s: string): string {
  const at = s.search(/(^|\s)#/);
  return at === -1 ? s : s.slice(0, at);
}
