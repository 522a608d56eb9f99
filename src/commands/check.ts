// `tend check`: validate a config without a daemon.
import type { LocalCommand } from './command.js';
import { EXIT } from './command.js';
import { CONFIG_WORDS } from './flags.js';

/** `tend check`. */
export const check: LocalCommand = {
  name: 'check',
  summary: 'validate a config without a daemon',
  ...CONFIG_WORDS,
  examples: ['check', 'check -c deploy/tend.yaml'],
  notes:
    'Prints every problem with file:line:col and exits 2, or says how many services the config holds; ' +
    'what would fail on this machine (a program not on PATH, a fence that needs root...) is a warning.',
  async run(p, env) {
    const file = env.configPath(p.flags);
    const spec = await env.loadConfig(file, false);
    if (!spec) return EXIT.usage;
    const { checkSpec } = await import('../config/check.js');
    for (const w of checkSpec(file).warnings) env.err(`${w.file}:${w.line}:${w.col}: warning: ${w.path}: ${w.message}\n`);
    const n = spec.services.reduce((a, s) => a + s.replicas, 0);
    env.out(`${file}: ok (${spec.services.length} services, ${n} instances)\n`);
    return EXIT.ok;
  },
};
