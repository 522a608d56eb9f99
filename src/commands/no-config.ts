// What tend says when there is no config to read: which file it looked for (and why that one) and
// how to begin (`tend init`, or `tend init --from` a Procfile or compose file found in the folder).
// Only on the failure path: a few existsSync calls, nothing on the way of a working command.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { shownPath } from '../core/describe.js';

/** Where the config path came from: -c, $TEND_CONFIG, or the default ./tend.yaml. */
export type ConfigSource = 'flag' | 'env' | 'default';

/** Files `tend init --from` turns into a tend.yaml, in the order they are suggested. */
export const CONVERTIBLE = ['Procfile', 'compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'] as const;

/** Whether a config exists at `file` (a missing file is the one case this module is for). */
export function configExists(file: string): boolean {
  return existsSync(file);
}

/**
 * The lines (each starting `tend: `) for a missing config at `file`: what was looked for, and
 * the `tend init` that writes one there.
 */
export function noConfigMessage(file: string, source: ConfigSource, cwd: string): string {
  const why =
    source === 'flag'
      ? 'given by -c'
      : source === 'env'
        ? 'from $TEND_CONFIG'
        : 'no -c FILE given and $TEND_CONFIG unset, so ./tend.yaml';
  const lines = [`tend: no config file: looked for ${file} (${why})`];
  const dir = dirname(file);
  const target = source === 'default' ? '' : ` -c ${shownPath(file, cwd)}`;
  if (source === 'default' && existsSync(join(dir, 'tend.yml')))
    lines.push('tend: there is a tend.yml here: use -c tend.yml, or rename it');
  const from = CONVERTIBLE.find((f) => existsSync(join(cwd, f)));
  lines.push(`tend: to begin, \`tend init${target}\` writes a commented starter config`);
  if (from) lines.push(`tend: or \`tend init${target} --from ${from}\` turns this folder's ${from} into one`);
  return lines.join('\n') + '\n';
}
