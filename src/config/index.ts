// The config folder's public face: load a tend.yaml into a validated Spec, and compare specs.
export { loadSpec, parseSpec, MAX_SOCKET_PATH } from './load.js';
export { resolveConfigPath } from './resolve.js';
export { parseDuration, parseSize, parseSignal, parseUmask, parseId } from './units.js';
export { parseCommand, parseTcp, parseHttpUrl, parseRegex, parseFd } from './forms.js';
export { didYouMean, editDistance } from '../core/did-you-mean.js';
export { parseEnvFile, type EnvFileProblem } from './env-file.js';
export { expandInstances } from './instances.js';
export { processHash, changedFields, diffSpecs, PROCESS_FIELDS } from './diff.js';
export { DEFAULTS } from './build.js';
export { ValueError } from './describe.js';
