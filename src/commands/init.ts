// `tend init`: write a commented starter tend.yaml, or one converted from a Procfile or a compose
// file (src/init, loaded only here: it brings the yaml parser along).
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { LocalCommand } from './command.js';
import { EXIT } from './command.js';
import { plural } from './check.js';
import { CONFIG_FLAG } from './flags.js';
import { CONVERTIBLE } from './no-config.js';

/** `tend init`. */
export const init: LocalCommand = {
  name: 'init',
  summary: 'write a starter tend.yaml (or one from a Procfile or compose file)',
  args: [],
  flags: [
    { name: 'from', value: { label: 'FILE', kind: 'file' }, help: 'convert this Procfile or docker-compose.yml' },
    { name: 'force', help: 'overwrite an existing config' },
    { ...CONFIG_FLAG, help: 'where to write it (default: $TEND_CONFIG, else ./tend.yaml)' },
  ],
  examples: ['init', 'init --from docker-compose.yml'],
  notes:
    "Refuses to overwrite a config without --force. --from keeps each service's command, environment, env_file, " +
    'depends_on, restart, healthcheck (as readiness), working_dir and user; what it cannot carry over (image, ports, ' +
    "volumes, networks, build...) is listed on stderr and in the file's header. The file written passes tend check.",
  where: 'cli',
  elsewhere: 'init writes a starter tend.yaml: run tend init in a terminal',
  async run(p, env) {
    const file = env.configPath(p.flags);
    const from = typeof p.flags.from === 'string' ? p.flags.from : undefined;
    const { converted, starter } = await import('../init/index.js');
    let made;
    try {
      made = from ? converted(from, resolve(from), dirname(file)) : starter();
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? `${from}: no such file` : (e as Error).message;
      env.err(`tend init: ${why}\n`);
      return EXIT.failed;
    }
    try {
      writeFileSync(file, made.text, { flag: p.flags.force ? 'w' : 'wx' });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      env.err(
        code === 'EEXIST'
          ? `tend init: ${file} exists; --force overwrites it\n`
          : `tend init: cannot write ${file}: ${(e as Error).message}\n`,
      );
      return EXIT.failed;
    }
    for (const line of made.report) env.err(`tend init: ${line}\n`);
    // what it wrote must load: check it now, as `tend check` would
    const { ConfigError } = await import('../core/errors.js');
    try {
      (await import('../config/index.js')).loadSpec(file);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      env.err(`${e.message}\ntend init: wrote ${file}, but it does not pass tend check (above): fix it before tend up\n`);
      return EXIT.failed;
    }
    const shown = relative(process.cwd(), file) || file;
    const c = shown === 'tend.yaml' ? '' : ` -c ${shown}`;
    env.out(`wrote ${shown} (${plural(made.services.length, 'service')}: ${made.services.join(', ')})\n`);
    env.out(`next: tend up -d${c}   (then tend status${c})\n`);
    // a Procfile or compose file beside it is most likely what the user meant to run
    if (!from) {
      const found = CONVERTIBLE.find((name) => existsSync(name));
      if (found)
        env.err(`tend init: there is a ${found} here: tend init${c} --from ${found} --force writes its services instead\n`);
    }
    return EXIT.ok;
  },
};
