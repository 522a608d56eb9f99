// `tend check`: validate a config without a daemon.
import { existsSync } from 'node:fs';
import type { ConfigProblem } from '../core/errors.js';
import type { Spec } from '../core/types.js';
import type { CliEnv, LocalCommand } from './command.js';
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
  examples: ['check', 'check --json -c deploy/tend.yaml'],
  notes:
    'Prints every problem with file:line:col and exits 2, or says how many services the config holds. ' +
    '--json prints the problems as one JSON list of {file, line, col, path, message, severity} ([] when there are none).',
  async run(p, env) {
    const file = env.configPath(p.flags);
    if (p.flags.json) return checkJson(file, env);
    const spec = await env.loadConfig(file, false, p.flags);
    if (!spec) return EXIT.usage;
    const n = spec.services.reduce((a, s) => a + s.replicas, 0);
    env.out(`${file}: ok (${plural(spec.services.length, 'service')}, ${plural(n, 'instance')})\n`);
    return EXIT.ok;
  },
};

/** `tend check --json`: the loader's problems (errors and warnings) as one list; exit 2 when one is an error. */
async function checkJson(file: string, env: CliEnv): Promise<number> {
  const problems: CheckProblem[] = [];
  if (!existsSync(file)) {
    problems.push({ file, line: 0, col: 0, path: '', message: 'no config file here (`tend init` writes a starter one)', severity: 'error' });
  } else {
    const { ConfigError } = await import('../core/errors.js');
    try {
      const spec = (await import('../config/index.js')).loadSpec(file);
      // the loader's warnings, when it gives any (missing programs, folders, users)
      for (const w of (spec as Spec & { warnings?: readonly ConfigProblem[] }).warnings ?? []) problems.push(asProblem(w, 'warning'));
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      for (const q of e.problems) problems.push(asProblem(q, 'error'));
    }
  }
  env.out(JSON.stringify(problems) + '\n');
  return problems.some((q) => q.severity === 'error') ? EXIT.usage : EXIT.ok;
}

/** A problem with its severity: its own when the loader set one, else `fallback`. */
function asProblem(q: ConfigProblem & { severity?: string }, fallback: CheckProblem['severity']): CheckProblem {
  const severity = q.severity === 'warning' || q.severity === 'error' ? q.severity : fallback;
  return { file: q.file, line: q.line, col: q.col, path: q.path, message: q.message, severity };
}
