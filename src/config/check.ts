// `tend check` in one call: the config's problems (errors) and what it gets wrong about this
// machine (warnings), both located, and the counts the command prints.
import { ConfigError, type ConfigProblem } from '../core/errors.js';
import type { Spec } from '../core/types.js';
import { readConfig } from './files.js';
import { hostWarnings } from './host.js';
import { parseLocated } from './load.js';

/** What `tend check` reports; `spec` and the counts only when there is no problem. */
export interface CheckResult {
  spec?: Spec;
  /** errors: the config is refused (exit 2) */
  problems: ConfigProblem[];
  /** the config is valid, but a service would fail on this machine (a program not on PATH...) */
  warnings: ConfigProblem[];
  services: number;
  /** processes in all: replicas summed over the services */
  instances: number;
}

/** Validates `file` as `tend up` would, then checks it against this machine; never throws a ConfigError. */
export function checkSpec(file: string, opts: { env?: NodeJS.ProcessEnv; uid?: number } = {}): CheckResult {
  const env = opts.env ?? process.env;
  try {
    const { spec, at } = parseLocated(readConfig(file), file, { env });
    return {
      spec,
      problems: [],
      warnings: hostWarnings(spec, at, env, opts.uid),
      services: spec.services.length,
      instances: countInstances(spec),
    };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return { problems: e.problems, warnings: [], services: 0, instances: 0 };
  }
}

/** Processes the spec runs: replicas summed over the services. */
export function countInstances(spec: Spec): number {
  return spec.services.reduce((n, s) => n + s.replicas, 0);
}
