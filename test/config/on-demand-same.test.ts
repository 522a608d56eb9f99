// The daemon's parser bundle (dist/config-parser.cjs, see config/on-demand.ts) is load.ts with yaml
// and zod: it must read every config exactly as load.ts does, and reject every bad one with the
// same words. (Collection of the bundle is in on-demand.test.ts, which must not import zod.)
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type createParseMemory, loadSpec, type loadSpecWith } from '../../src/config/load.js';
import { runBundle } from '../../src/config/on-demand.js';
import { ConfigError } from '../../src/core/errors.js';
import { tmpDir, yaml } from './helpers.js';

const BUNDLE = fileURLToPath(new URL('../../dist/config-parser.cjs', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const bundled = runBundle(BUNDLE) as { loadSpecWith: typeof loadSpecWith; createParseMemory: typeof createParseMemory };

/** The spec, or the ConfigError's message and class, of one way of loading. */
function outcome(load: () => unknown): unknown {
  try {
    return load();
  } catch (e) {
    return { error: (e as Error).message, configError: e instanceof ConfigError };
  }
}

function same(file: string): void {
  const a = outcome(() => loadSpec(file));
  const b = outcome(() => bundled.loadSpecWith(file, bundled.createParseMemory()));
  expect(b).toEqual(a);
}

describe('the parser bundle reads configs as load.ts does', () => {
  it.each(['basic.yaml', 'restarts.yaml', 'stack.yaml', 'tasks.yaml'])('examples/%s', (name) => {
    same(join(EXAMPLES, name));
  });

  it('a config with anchors, merge keys, env files, probes, replicas and an octal umask', () => {
    const dir = tmpDir({
      'app.env': 'A=1\nB="two words"\n',
      'tend.yaml': yaml(
        'settings: { shutdown_timeout: 5s }',
        'x-base: &base',
        '  restart: on-failure',
        '  backoff: { initial: 100ms, max: 2s }',
        'services:',
        '  api:',
        '    <<: *base',
        '    command: [node, api.js]',
        '    env_file: app.env',
        '    umask: 022',
        '    replicas: 2',
        '    readiness: { http: "http://127.0.0.1:8080/health", interval: 1s }',
        '  worker:',
        '    <<: *base',
        '    command: ./worker --queue jobs',
        '    depends_on: { api: healthy }',
        '    liveness: { log: "heartbeat", interval: 30s }',
      ),
    });
    same(join(dir, 'tend.yaml'));
  });

  it('variables: from the environment and .env, $$, defaults, and an unset one refused the same way', () => {
    const config = yaml(
      'settings: { log_dir: "${LOGS:-logs}" }',
      'services:',
      '  api:',
      '    command: [node, "${APP}", "$$HOME"]',
      '    replicas: ${N}',
      '    env: { HOME_DIR: "${HOME}" }',
    );
    const dir = tmpDir({
      '.env': 'APP=api.js\nN=2\n',
      'tend.yaml': config,
      'unset.yaml': yaml('services:', '  api:', '    command: echo ${TEND_SURELY_UNSET_VAR}'),
      'cycle.yaml': yaml('services:', '  api:', '    command: &c [sleep, *c]'),
      'nul.yaml': yaml('services:', '  api:', '    command: "a\\0b"'),
    });
    for (const f of ['tend.yaml', 'unset.yaml', 'cycle.yaml', 'nul.yaml']) same(join(dir, f));
    expect(outcome(() => bundled.loadSpecWith(join(dir, 'unset.yaml'), bundled.createParseMemory()))).toMatchObject({
      configError: true,
    });
  });

  it('bad configs: the same located problems, as tend ConfigErrors', () => {
    const dir = tmpDir({
      'bad.yaml': yaml('services:', '  web:', '    comand: x', '    restart: alway', '  db: { command: y, depends_on: [nope] }'),
      'broken.yaml': 'services:\n  web: [unclosed\n',
      'empty.yaml': '',
    });
    for (const f of ['bad.yaml', 'broken.yaml', 'empty.yaml', 'missing.yaml']) {
      const file = join(dir, f);
      same(file);
      expect(outcome(() => bundled.loadSpecWith(file, bundled.createParseMemory()))).toMatchObject({ configError: true });
    }
  });
});
