// `tend up`'s echo: every service's output on tend's stdout, each line prefixed with its name
// (docker compose style). It is a view: while stdout is slow or closed, lines go only to the log
// files, so a slow terminal (or `tend up | head`) never slows a service down or stops tend.
import type { Writable } from 'node:stream';
import { colorName, wantsColor } from '../core/colors.js';
import type { ServiceLog } from './sink.js';

const NEWLINE = Buffer.from('\n');

/** Why: settings.echo. Returns what to do with each new log: copy its lines to `out`. */
export function echoTo(out: Writable & { isTTY?: boolean }): (id: string, log: ServiceLog) => void {
  let ok = true;
  out.on('error', () => (ok = false));
  const color = wantsColor(out);
  return (id, log) => {
    const name = Buffer.from(`${colorName(id, color)} | `);
    log.subscribe((line) => {
      if (!ok || out.writableNeedDrain) return;
      out.write(Buffer.concat([name, line.line, NEWLINE]));
    });
  };
}
