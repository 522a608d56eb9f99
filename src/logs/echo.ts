// `tend up`'s echo: every service's output on tend's stdout, each line prefixed with its name
// (docker compose style). It is a view: while stdout is slow or closed, lines go only to the log
// files, so a slow terminal (or `tend up | head`) never slows a service down or stops tend.
import type { Writable } from 'node:stream';
import { colorName, wantsColor } from '../core/colors.js';
import type { ServiceLog } from './sink.js';

const NEWLINE = Buffer.from('\n');

/**
 * Why: settings.echo. Returns what to do with each new log: copy its lines to `out`. With
 * settings.log_format json, one object a line, `{ts, service, instance, stream, line}`, for the
 * log collectors of containers (Kubernetes, Fluent Bit, Loki).
 */
export function echoTo(
  out: Writable & { isTTY?: boolean },
  format: 'text' | 'json' = 'text',
): (id: string, log: ServiceLog, service: string) => void {
  let ok = true;
  out.on('error', () => (ok = false));
  const color = wantsColor(out);
  return (id, log, service) => {
    if (format === 'json') {
      const head = `{"ts":"`;
      const tail = `","service":${JSON.stringify(service)},"instance":${JSON.stringify(id)},"stream":"`;
      log.subscribe((l) => {
        if (!ok || out.writableNeedDrain) return;
        out.write(
          `${head}${new Date(l.time).toISOString()}${tail}${l.stream}","line":${JSON.stringify(l.line.toString('utf8'))}}\n`,
        );
      });
      return;
    }
    const name = Buffer.from(`${colorName(id, color)} | `);
    log.subscribe((line) => {
      if (!ok || out.writableNeedDrain) return;
      out.write(Buffer.concat([name, line.line, NEWLINE]));
    });
  };
}
