// Transient services, `tend run NAME -- CMD`: a supervised command made from the command line,
// not declared in the config (as `systemd-run` or `pm2 start` make one). It is a simple service
// with the defaults (restart on-failure with backoff, log_dir/NAME.log), run with the caller's
// environment in the caller's folder. It stays in the store, visible in status, until tend shuts
// down; a reload leaves it alone (it is not in the config); `tend run NAME -- CMD` again, once it
// no longer runs, replaces it.
import { buildService } from '../config/build.js';
import type { RawService } from '../config/schema.js';
import { TendError } from '../core/errors.js';
import { isAlive, type Instance } from '../core/instance.js';
import type { Journal } from '../core/journal.js';
import type { InstanceSpec, Spec } from '../core/types.js';
import type { Supervisor } from '../reconcile/supervisor.js';
import type { TransientControl, TransientRequest } from '../commands/context.js';

/** tend's service names (config/validate.ts); `all` and `tend` mean something else on the command line and in the journal. */
const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const RESERVED = new Set(['all', 'tend']);

/** A command line as the journal shows it: words with spaces quoted. */
export function commandWords(argv: readonly string[]): string {
  return argv.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Why: `tend run NAME -- CMD` adds through this; only the Supervisor writes the store. */
export function transientServices(d: { sup: Supervisor; journal: Journal; spec(): Spec }): TransientControl {
  return {
    add(req: TransientRequest): Instance {
      const { sup } = d;
      const { name } = req;
      if (!NAME.test(name) || RESERVED.has(name)) {
        throw new TendError(
          'bad_request',
          `run: "${name}" cannot name a service (a-z, 0-9, _ and -, at most 63, not all or tend)`,
        );
      }
      if (d.spec().services.some((s) => s.name === name)) {
        throw new TendError(
          'bad_request',
          `run: ${name} is a service of ${d.spec().file}; tend start ${name} starts it (or pick another name)`,
        );
      }
      const was = sup.store.get(name);
      if (was) {
        if (!was.inst.spec.transient)
          throw new TendError('bad_request', `run: ${name} is a service of the running config; pick another name`);
        if (isAlive(was.state)) {
          const pid = was.pid === null ? '' : ` (pid ${was.pid})`;
          throw new TendError(
            'already_running',
            `run: ${name} already runs${pid}: ${commandWords(was.inst.spec.command as string[])}; tend stop ${name} first`,
          );
        }
        sup.remove(name); // a stopped, failed or completed one: the new command takes its place
      }
      const spec = buildService(name, { command: req.command } as RawService, req.cwd, {}, [], undefined, d.spec().settings.logs);
      const inst: InstanceSpec = { id: name, service: name, spec: { ...spec, env: { ...req.env }, transient: true } };
      d.journal.add(name, 'add', `transient service added by ${req.by}: ${commandWords(req.command)} (in ${req.cwd})`);
      sup.add([inst], () => 'up');
      return sup.store.get(name)!;
    },
  };
}
