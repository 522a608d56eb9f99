// The config folder's public face: load a tend.yaml into a validated Spec, and compare specs.
export { loadSpec, parseSpec, parseLocated, MAX_SOCKET_PATH, type ParseOptions } from './load.js';
export { checkSpec, countInstances, type CheckResult } from './check.js';
export { hostWarnings, programOf, whyNotRunnable } from './host.js';
export { substitute, readDotEnv, dotEnvPath, type Lookup } from './variables.js';
export { MAX_CONFIG_BYTES, MAX_SERVICES, MAX_INSTANCES, MAX_ENV_ENTRIES, MAX_ARG_BYTES, MAX_TIMER_MS } from './limits.js';
export { resolveConfigPath } from './resolve.js';
export { parseDuration, parseSize, parseSignal, parseUmask, parseId } from './units.js';
export { parseCommand, parseTcp, parseHttpUrl, parseRegex, parseFd } from './forms.js';
export { didYouMean, editDistance } from '../core/did-you-mean.js';
export { parseEnvFile, type EnvFileProblem } from './env-file.js';
export { expandInstances } from './instances.js';
export { processHash, changedFields, diffSpecs, PROCESS_FIELDS } from './diff.js';
export { DEFAULTS } from './build.js';
export { ValueError } from './describe.js';
