// The daemon's ProbeHost: polled probes (exec, tcp, http) through ProbeRunner, and `log:` probes
// over the service's output (readiness: a line matches; liveness: a heartbeat every interval).
import type { InstanceSpec } from '../core/types.js';
import type { ProbeHost } from '../reconcile/supervisor.js';
import type { ServiceLog } from '../logs/sink.js';
import { ProbeRunner } from './probe.js';

export function probeHost(d: {
  env(inst: InstanceSpec): Record<string, string>;
  logFor(inst: InstanceSpec): ServiceLog;
}): ProbeHost {
  const { env, logFor } = d;
  return {
    start(inst, kind, onResult) {
      const p = inst.spec[kind]!;
      if (p.check.kind === 'log') {
        const re = new RegExp(p.check.pattern);
        if (kind === 'readiness') {
          return logFor(inst).subscribe((l) => {
            if (re.test(l.line.toString('utf8'))) onResult(true, 'log line matched');
          });
        }
        // liveness: a heartbeat, a matching line must come at least every `interval`
        let seen = false;
        const off = logFor(inst).subscribe((l) => {
          if (!seen && re.test(l.line.toString('utf8'))) seen = true;
        });
        let tick: NodeJS.Timeout | undefined;
        const first = setTimeout(() => {
          tick = setInterval(() => {
            onResult(seen, seen ? 'log line matched' : `no output line matched /${re.source}/ in ${p.interval}ms`);
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
