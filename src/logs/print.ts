// How `tend logs` and `tend events` print for people (and for tools, --json): the instance's name
// when more than one is printed, padded to one width and in a colour of its own (two neighbours
// never share one); the time with -t; stderr lines marked `err`.
import type { LogLine } from '../control/wire.js';
import { PALETTE, paint } from '../core/colors.js';
import type { LogEntry } from './line-format.js';
import { localTime } from '../commands/format.js';

export { localTime };

const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

export interface PrintOptions {
  json: boolean;
  timestamps: boolean;
  color: boolean;
}

/** Turns lines (read from the files, or live off the wire) into text to print. */
export interface Printer {
  /** a batch read from the files: one string, each line ending in a newline */
  entries(batch: readonly LogEntry[]): string;
  /** one live line off the wire */
  wire(l: LogLine): string;
}

/**
 * Why: `tend logs`. `instances` are those printed, in their order (the colours go by it). The
 * prefix is shown whenever there is more than one.
 */
export function logPrinter(instances: readonly string[], o: PrintOptions): Printer {
  const multi = instances.length > 1;
  const width = Math.max(0, ...instances.map((i) => i.length));
  const prefixes = new Map<string, string>();
  instances.forEach((id, i) => {
    const name = id.padEnd(width);
    prefixes.set(id, `${o.color ? paint(name, PALETTE[i % PALETTE.length]!) : name} | `);
  });
  const prefixOf = (id: string): string => {
    if (!multi) return '';
    let p = prefixes.get(id);
    if (p === undefined) {
      p = `${id.padEnd(width)} | `;
      prefixes.set(id, p);
    }
    return p;
  };
  const errMark = o.color ? `${DIM}err${RESET} ` : 'err ';
  const text = (ts: string, instance: string, stream: string, line: string): string => {
    if (o.json) return `${JSON.stringify({ ts, instance, stream, line })}\n`;
    const time = o.timestamps ? `${o.color ? `${DIM}${localTime(ts)}${RESET}` : localTime(ts)} ` : '';
    return `${time}${prefixOf(instance)}${stream === 'stderr' ? errMark : ''}${line}\n`;
  };
  return {
    entries(batch) {
      let out = '';
      for (const e of batch) out += text(e.ts, e.instance, e.stream, e.line.toString('utf8'));
      return out;
    },
    wire: (l) => text(l.time, l.service, l.stream, l.line),
  };
}
