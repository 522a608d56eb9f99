// The bounds of config/limits.ts: each refused with a located error that names the limit, and
// the value at the limit accepted.
import { execFileSync } from 'node:child_process';
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSpec, parseSpec } from '../../src/config/index.js';
import {
  MAX_ARG_BYTES,
  MAX_CONFIG_BYTES,
  MAX_ENV_ENTRIES,
  MAX_INSTANCES,
  MAX_SERVICES,
  MAX_TIMER_MS,
} from '../../src/config/limits.js';
import type { ConfigError } from '../../src/core/errors.js';
import { errorsOf, tmpDir, yaml } from './helpers.js';

const web = (...lines: string[]) => yaml('services:', '  web:', '    command: x', ...lines.map((l) => `    ${l}`));

describe('config file size', () => {
  it(`a file over ${MAX_CONFIG_BYTES} bytes is refused before it is parsed`, () => {
    const dir = tmpDir();
    const file = join(dir, 'big.yaml');
    writeFileSync(file, 'services:\n');
    truncateSync(file, 10 * 1024 * 1024); // 10 MiB (of NULs: a parse would fail otherwise)
    expect(() => loadSpec(file)).toThrow(`${file}: config is 10 MiB, over the limit of 1 MiB; split it or trim it`);
  });

  it('a file at the limit is read', () => {
    const dir = tmpDir();
    const file = join(dir, 'tend.yaml');
    const head = 'services:\n  a:\n    command: x\n';
    writeFileSync(file, head + '#'.repeat(MAX_CONFIG_BYTES - head.length - 1) + '\n');
    expect(loadSpec(file).services).toHaveLength(1);
    writeFileSync(file, head + '#'.repeat(MAX_CONFIG_BYTES - head.length) + '\n');
    expect(() => loadSpec(file)).toThrow(/over the limit of 1 MiB/);
  });

  it('a device that never ends (its size says 0) is read up to the limit, then refused', () => {
    expect(() => loadSpec('/dev/zero')).toThrow('/dev/zero: config is over the limit of 1 MiB; split it or trim it');
  });

  it('text handed to parseSpec is held to the same limit (bytes, not characters)', () => {
    const text = `services:\n  a:\n    command: "${'é'.repeat(MAX_CONFIG_BYTES / 2)}"\n`;
    expect(() => parseSpec(text, 't.yaml')).toThrow(/^t\.yaml: config is 1\.0 MiB, over the limit of 1 MiB/);
  });

  it('a directory is not a config', () => {
    const dir = tmpDir();
    expect(() => loadSpec(dir)).toThrow(`${dir}: cannot read config: is a directory`);
  });
});

describe('counts', () => {
  const services = (n: number, extra = '') =>
    'services:\n' + Array.from({ length: n }, (_, i) => `  s${i}:\n    command: x\n${extra}`).join('');

  it(`more than ${MAX_SERVICES} services`, () => {
    expect(parseSpec(services(MAX_SERVICES), 't.yaml', { incremental: false }).services).toHaveLength(MAX_SERVICES);
    expect(errorsOf(services(MAX_SERVICES + 1))).toEqual([
      `tend.yaml:1:1: services: ${MAX_SERVICES + 1} services, over the limit of ${MAX_SERVICES}`,
    ]);
  });

  it(`more than ${MAX_INSTANCES} instances, in one service or in all`, () => {
    expect(errorsOf(web('replicas: 1000000000'))).toEqual([
      `tend.yaml:4:15: services.web.replicas: expected an integer <= ${MAX_INSTANCES} (the limit of instances in all); got 1000000000`,
    ]);
    expect(parseSpec(web(`replicas: ${MAX_INSTANCES}`), 't.yaml').services[0]!.replicas).toBe(MAX_INSTANCES);
    expect(errorsOf(services(3, '    replicas: 2000\n'))).toEqual([
      `tend.yaml:1:1: services: 6000 instances in all (replicas summed over the services), over the limit of ${MAX_INSTANCES}`,
    ]);
  });

  it(`more than ${MAX_ENV_ENTRIES} variables in one service, env and env_file together`, () => {
    const dir = tmpDir({ 'many.env': Array.from({ length: 600 }, (_, i) => `F${i}=1`).join('\n') });
    const env = (n: number) => 'env:\n' + Array.from({ length: n }, (_, i) => `      E${i}: "1"`).join('\n');
    const file = join(dir, 'tend.yaml');
    expect(parseSpec(web('env_file: many.env', env(400)), file).services[0]!.env).toHaveProperty('E399');
    expect(() => parseSpec(web('env_file: many.env', env(401)), file)).toThrow(
      `${file}:5:5: services.web.env: 1001 variables (env and env_file together), over the limit of ${MAX_ENV_ENTRIES}`,
    );
  });

  it('an argument or a variable longer than the kernel takes (MAX_ARG_STRLEN)', () => {
    const long = 'x'.repeat(MAX_ARG_BYTES);
    const dir = tmpDir({ 'big.env': `BIG=${'y'.repeat(MAX_ARG_BYTES)}\n` });
    const file = join(dir, 'tend.yaml');
    expect(() =>
      parseSpec(yaml('services:', '  web:', `    command: [echo, ${long}]`, `    env: { A: ${long.slice(2)} }`), file),
    ).not.toThrow();
    const lines = (() => {
      try {
        parseSpec(
          yaml(
            'services:',
            '  web:',
            `    command: [echo, ${long}x]`,
            `    env: { A: ${long} }`,
            '    env_file: big.env',
            `    readiness: { exec: "${long}" }`,
          ),
          file,
        );
      } catch (e) {
        return (e as ConfigError).message.split('\n');
      }
      return [];
    })();
    expect(lines).toEqual([
      `${file}:3:21: services.web.command[1]: argument 1 is 131,072 bytes, over the 131,071 the kernel takes for one argument or variable (MAX_ARG_STRLEN)`,
      `${file}:4:15: services.web.env.A: A=... is 131,073 bytes, over the 131,071 the kernel takes for one argument or variable (MAX_ARG_STRLEN)`,
      `${file}:5:15: services.web.env_file: BIG=... is 131,075 bytes, over the 131,071 the kernel takes for one argument or variable (MAX_ARG_STRLEN)`,
    ]);
    expect(() => parseSpec(yaml('services:', '  web:', '    command: x', `    readiness: { exec: "${long}x" }`), file)).toThrow(
      /:4:24: services\.web\.readiness\.exec: the command is 131,072 bytes, over the 131,071 the kernel/,
    );
  });
});

describe('durations a timer waits for', () => {
  it.each([
    ['readiness: { exec: "true", interval: 720h }', '4:42: services.web.readiness.interval'],
    ['liveness: { tcp: "127.0.0.1:1", timeout: 25d }', '4:46: services.web.liveness.timeout'],
    ['liveness: { tcp: "127.0.0.1:1", timeout: 600h }', '4:46: services.web.liveness.timeout'],
    ['readiness: { exec: "true", initial_delay: 2592000 }', '4:47: services.web.readiness.initial_delay'],
    ['backoff: { initial: 577h, max: 577h }', '4:25: services.web.backoff.initial'],
    ['stop_timeout: 30000h', '4:19: services.web.stop_timeout'],
  ])('%s', (line, where) => {
    const lines = errorsOf(web(line));
    expect(lines[0]).toMatch(
      new RegExp(
        `^tend\\.yaml:${where.replace(/\./g, '\\.')}: expected a duration of at most 24 days \\(576h\\), the longest a timer waits; got `,
      ),
    );
  });

  it('24 days is accepted; start_limit.interval (not a timer) may be longer; settings.shutdown_timeout is one', () => {
    const s = parseSpec(web('liveness: { exec: "true", interval: 576h }', 'start_limit: { interval: 8760h }'), 't.yaml');
    expect(s.services[0]!.liveness!.interval).toBe(MAX_TIMER_MS);
    expect(parseSpec(web('liveness: { exec: "true", interval: 24d }'), 't.yaml').services[0]!.liveness!.interval).toBe(
      MAX_TIMER_MS,
    );
    expect(s.services[0]!.startLimit.interval).toBe(8760 * 3_600_000);
    expect(errorsOf(yaml('settings: { shutdown_timeout: 1000h }', 'services: { a: { command: x } }'))).toEqual([
      'tend.yaml:1:31: settings.shutdown_timeout: expected a duration of at most 24 days (576h), the longest a timer waits; got "1000h"',
    ]);
  });
});

describe('logs.max_size', () => {
  it('0 means never rotate, as the README says', () => {
    expect(parseSpec(web('logs: { max_size: 0 }'), 't.yaml').services[0]!.logs.maxSize).toBe(0);
  });
});

describe('settings.logs', () => {
  it("is every service's rotation, each key apart, under the service's own", () => {
    const s = parseSpec(
      yaml(
        'settings: { logs: { max_size: 1M, keep: 2 } }',
        'services:',
        '  a: { command: x }',
        '  b: { command: x, logs: { keep: 9 } }',
        '  c: { command: x, logs: { max_size: 0, keep: 0, mode: "0600" } }',
      ),
      't.yaml',
    );
    expect(s.services.map((x) => x.logs)).toEqual([
      { maxSize: 1024 * 1024, keep: 2, mode: 0o640 },
      { maxSize: 1024 * 1024, keep: 9, mode: 0o640 },
      { maxSize: 0, keep: 0, mode: 0o600 },
    ]);
    expect(s.settings.logs).toEqual({ maxSize: 1024 * 1024, keep: 2 });
    // without it, the defaults
    expect(parseSpec(web(), 't.yaml').services[0]!.logs).toEqual({ maxSize: 10 * 1024 * 1024, keep: 5, mode: 0o640 });
  });

  it("is checked as a service's logs is, the error naming settings.logs", () => {
    expect(errorsOf(yaml('settings: { logs: { keep: -1, rotate: 1 } }', 'services: { a: { command: x } }'))).toEqual([
      'tend.yaml:1:27: settings.logs.keep: expected an integer >= 0; got -1',
      'tend.yaml:1:31: settings.logs.rotate: unknown key "rotate"',
    ]);
    // unquoted, YAML makes 0640 the number 640 (and 0400 the number 400: another mode, silently)
    expect(errorsOf(web('logs: { mode: 0400 }'))).toEqual([
      'tend.yaml:4:19: services.web.logs.mode: expected an octal file mode in quotes like "0640"; got 400 (unquoted, YAML reads 0640 as the number 640)',
    ]);
  });
});

describe('tend check on a 10 MiB file (the built command)', () => {
  it('exits 2 with one line, without parsing it', () => {
    const dir = tmpDir();
    const file = join(dir, 'big.yaml');
    writeFileSync(file, 'services:\n' + '# fillers\n'.repeat(1024 * 1024));
    let out: { status: number | null; stderr: string } = { status: 0, stderr: '' };
    try {
      execFileSync(process.execPath, [join(import.meta.dirname, '../../dist/tend.cjs'), 'check', '-c', file], { stdio: 'pipe' });
    } catch (e) {
      const err = e as { status: number; stderr: Buffer };
      out = { status: err.status, stderr: err.stderr.toString() };
    }
    expect(out).toEqual({ status: 2, stderr: `${file}: config is 10.0 MiB, over the limit of 1 MiB; split it or trim it\n` });
  });
});
