// The daemon's ProbeHost: polled probes (exec, tcp, http) through ProbeRunner, and `log:` probes
// over the service's output (readiness: a line matches; liveness: a heartbeat every interval).
// Log probes match in linear time (logs/regex.ts: RE2's engine), so no pattern can freeze the
// daemon; that engine is loaded the first time a log probe starts, not before.
import type { InstanceSpec } from '../core/types.js';
import type { ProbeHost } from '../reconcile/supervisor.js';
import type { LogLine } from '../logs/line.js';
import type { LineMatcher } from '../logs/regex.js';
import type { ServiceLog } from '../logs/sink.js';
import { ProbeRunner } from './probe.js';

let engine: Promise<typeof import('../logs/regex.js')> | undefined;

/** Lines kept while the engine loads (a few ms): a ready line printed at once is not missed. */
const EARLY_LINES = 1000;

/**
 * Why: a log probe tests every line from its start, though the regex engine loads asynchronously.
 * Calls `onLine` with whether each line of the log (the first ones once the engine is there) until the
 * returned function is called.
 */
function matchLines(log: ServiceLog, pattern: string, onLine: (matched: boolean) => void, skip?: () => boolean): () => void {
  let matcher: LineMatcher | undefined;
  let early: Buffer[] | undefined = [];
  let stopped = false;
  const off = log.subscribe((l: LogLine) => {
    if (matcher) {
      if (!skip?.()) onLine(matcher.test(l.line));
    } else if (early && early.length < EARLY_LINES) early.push(l.line);
  });
  engine ??= import('../logs/regex.js');
  void engine.then((m) => {
    if (stopped) return;
    matcher = m.compileRegex(pattern); // checked by the config loader: it compiles
    const held = early ?? [];
    early = undefined;
    for (const line of held) if (!stopped) onLine(matcher.test(line));
  });
  return () => {
    stopped = true;
    off();
  };
}

export function probeHost(d: {
  env(inst: InstanceSpec): Record<string, string>;
  logFor(inst: InstanceSpec): ServiceLog;
}): ProbeHost {
  const { env, logFor } = d;
  return {
    start(inst, kind, onResult) {
      const p = inst.spec[kind]!;
      if (p.check.kind === 'log') {
        const pattern = p.check.pattern;
        if (kind === 'readiness') {
          return matchLines(logFor(inst), pattern, (ok) => ok && onResult(true, 'log line matched'));
        }
        // liveness: a heartbeat, a matching line must come at least every `interval`
        let seen = false;
        const off = matchLines(
          logFor(inst),
          pattern,
          (ok) => {
            if (ok) seen = true;
          },
          () => seen,
        );
        let tick: NodeJS.Timeout | undefined;
        const first = setTimeout(() => {
          tick = setInterval(() => {
            onResult(seen, seen ? 'log line matched' : `no output line matched /${pattern}/ in ${p.interval}ms`);
            seen = false;
          }, p.interval).unref();
        }, p.initialDelay).unref();
        return () => {
          off();
          clearTimeout(first);
          clearInterval(tick);
        };
      }
      const runner = new ProbeRunner(p, { cwd: inst.spec.cwd, env: env(inst) }, (r) => onResult(r.ok, r.message));
      runner.start();
      return () => runner.stop();
    },
  };
}
