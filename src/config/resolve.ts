// Where the config file is: -c/--config, else $TEND_CONFIG, else ./tend.yaml (docs/config.md, "Where the file is").
import { resolve } from 'node:path';

/** The absolute path of the config file to use. */
export function resolveConfigPath(opts: { config?: string; env: NodeJS.ProcessEnv; cwd: string }): string {
  const chosen = opts.config || opts.env.TEND_CONFIG || 'tend.yaml';
  return resolve(opts.cwd, chosen);
}
