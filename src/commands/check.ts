// `tend check`: validate a config without a daemon.
import { existsSync } from 'node:fs';
import type { ConfigProblem } from '../core/errors.js';
import type { LocalCommand } from './command.js';
import { EXIT } from './command.js';
import { CONFIG_FLAG, JSON_FLAG } from './flags.js';

/** One problem as `tend check --json` prints it. */
export interface CheckProblem extends ConfigProblem {
  severity: 'error' | 'warning';
}

/** `1 service`, `2 services`. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `tend check`. */
export const check: LocalCommand = {
  name: 'check',
  summary: 'validate a config without a daemon',
  args: [],
  flags: [JSON_FLAG, CONFIG_FLAG],
  where: 'cli',
  elsewhere: 'check validates a config file: run tend check in a terminal (here: reload --dry-run)',
  examples: ['check', 'check --json -c deploy/tend.yaml'],
  notes:
    'Prints every problem with file:line:col and exits 2, or says how many services the config holds. ' +
    '--json prints the problems as one JSON list of {file, line, col, path, message, severity} ([] when there are none).',
  async run(p, env) {
    const file = env.configPath(p.flags);
    if (!existsSync(file)) {
      if (p.flags.json) {
        env.out(
          JSON.stringify([
            {
              file,
              line: 0,
              col: 0,
              path: '',
              message: 'no config file here (`tend init` writes a starter one)',
              severity: 'error',
            },
          ]) + '\n',
        );
        return EXIT.usage;
      }
      return (await env.loadConfig(file, false, p.flags)) ? EXIT.ok : EXIT.usage; // says what was looked for
    }
    const { checkSpec } = await import('../config/index.js');
    const r = checkSpec(file);
    const problems: CheckProblem[] = [
      ...r.problems.map((q) => ({ ...pick(q), severity: 'error' as const })),
      ...r.warnings.map((q) => ({ ...pick(q), severity: 'warning' as const })),
    ];
    if (p.flags.json) {
      env.out(JSON.stringify(problems) + '\n');
      return r.problems.length ? EXIT.usage : EXIT.ok;
    }
    const { formatProblem } = await import('../core/errors.js');
    for (const q of r.problems) env.err(`${formatProblem(q)}\n`);
    for (const q of r.warnings) env.err(`warning: ${formatProblem(q)}\n`);
    if (r.problems.length) return EXIT.usage;
    const warned = r.warnings.length ? `; ${plural(r.warnings.length, 'warning')}` : '';
    env.out(`${file}: ok (${plural(r.services, 'service')}, ${plural(r.instances, 'instance')}${warned})\n`);
    return EXIT.ok;
  },
};

/** The fields of a problem that `--json` prints. */
function pick(q: ConfigProblem): ConfigProblem {
  return { file: q.file, line: q.line, col: q.col, path: q.path, message: q.message };
}
