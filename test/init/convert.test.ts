// tend init's converters: a Procfile and a compose file become drafts with exactly the fields
// they can carry, what is left behind is listed, and the text written loads as a valid config.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSpec } from '../../src/config/load.js';
import { duration, fromCompose } from '../../src/init/compose.js';
import { splitWords as shellWords } from '../../src/commands/words.js';
import { nameAll, serviceName } from '../../src/init/draft.js';
import { emitDraft, scalar } from '../../src/init/emit.js';
import { converted, kindOf, starter } from '../../src/init/index.js';
import { fromProcfile } from '../../src/init/procfile.js';
import { tmpDir } from '../helpers/tmp.js';
import { parse } from 'yaml';

const tmp = () => tmpDir('tend-init-');

describe('service names', () => {
  it("normalises to tend's rule and says so", () => {
    expect(serviceName('Web.App', new Set())).toBe('web-app');
    expect(serviceName('__x', new Set())).toBe('x');
    expect(serviceName('!!!', new Set())).toBe('service');
    expect(serviceName('a'.repeat(80), new Set())).toHaveLength(63);
    expect(serviceName('web', new Set(['web']))).toBe('web-2');
    const notes: string[] = [];
    expect(nameAll(['web', 'Web', 'db'], notes)).toEqual(['web', 'web-2', 'db']);
    expect(notes).toEqual(['"Web" is named web-2 (tend\'s names: a-z, 0-9, _ and -, at most 63)']);
    // a name written twice: said so (the rule of names was given as the reason)
    const twice: string[] = [];
    expect(nameAll(['worker', 'worker'], twice)).toEqual(['worker', 'worker-2']);
    expect(twice).toEqual(['"worker" is written twice: the second is named worker-2']);
  });
});

describe('YAML scalars', () => {
  it('quotes what would not read back as the same string', () => {
    for (const s of [
      'plain',
      'a b',
      'true',
      'no',
      '5432',
      '1.5',
      '-c',
      'a: b',
      'x #y',
      '',
      '$HOME',
      "it's",
      'a,b',
      '[x]',
      '*x',
      '&x',
      '!x',
      '{}',
      '@x',
      '%x',
      '~',
      '`x',
      '"x"',
      'a\tb',
      'line\nbreak',
      '#x',
      '|x',
      '>x',
      '?x',
      'x:y',
      '- x',
    ]) {
      expect(parse(`v: ${scalar(s)}`).v, s).toBe(s);
      expect(parse(`v: [${scalar(s, true)}]`).v, s).toEqual([s]);
    }
    expect(scalar('plain')).toBe('plain');
    expect(scalar('5432')).toBe('"5432"');
  });
});

describe('Procfile', () => {
  it('one service a line, comments and blank lines skipped, bad lines reported', () => {
    const d = fromProcfile(
      '# app\nweb: node server.js --port $PORT\n\nWorker.Queue:  bundle exec sidekiq\nnonsense\n',
      'Procfile',
    );
    expect(d.services).toEqual([
      { name: 'web', command: 'node server.js --port $PORT' },
      { name: 'worker-queue', was: 'Worker.Queue', command: 'bundle exec sidekiq' },
    ]);
    expect(d.dropped).toEqual(['line 5: not "name: command": "nonsense"']);
    expect(d.notes).toEqual([`"Worker.Queue" is named worker-queue (tend's names: a-z, 0-9, _ and -, at most 63)`]);
  });
});

describe('compose', () => {
  it('splits strings like compose and reads its durations', () => {
    expect(shellWords(`sh -c 'echo "a b"' x\\ y`)).toEqual(['sh', '-c', 'echo "a b"', 'x y']);
    expect(duration('1m30s')).toBe('90s');
    expect(duration('500ms')).toBe('500ms');
    expect(duration('1h')).toBe('3600s');
    expect(duration('soon')).toBeUndefined();
  });

  const COMPOSE = `
version: "3.9"
x-base: &base
  restart: unless-stopped
services:
  db:
    image: postgres:16
    command: ["postgres", "-D", "data"]
    environment: { PGPORT: 5432, FROM_SHELL: null }
    healthcheck: { test: ["CMD", "pg_isready", "-q"], interval: 2s, timeout: 1m, start_period: 5s, retries: 3 }
    ports: ["5432:5432"]
    volumes: [data:/var/lib/postgresql/data]
    user: "999:999"
    working_dir: /srv
  migrate:
    build: .
    entrypoint: ./migrate
    command: --all
    restart: "on-failure:3"
    depends_on: { db: { condition: service_healthy } }
  Web:
    <<: *base
    command: node server.js
    environment: ["PORT=8080", "DEBUG"]
    env_file: [web.env, { path: gone.env, required: false }]
    depends_on:
      migrate: { condition: service_completed_successfully }
      cache: { condition: service_started }
    deploy: { replicas: 3, resources: { limits: { cpus: "1" } } }
    healthcheck: { test: "curl -f http://localhost:8080/" }
  cache:
    image: redis:7
  worker:
    command: ./work
    restart: "no"
    depends_on: [db, nowhere]
volumes: { data: {} }
networks: { front: {} }
`;

  it('carries command, entrypoint, environment, env_file, depends_on, restart, healthcheck, working_dir, user, replicas', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'web.env'), 'A=1\n');
    const file = join(dir, 'docker-compose.yml');
    const d = fromCompose(COMPOSE, 'docker-compose.yml', file, dir);
    expect(d.services).toEqual([
      {
        name: 'db',
        command: ['postgres', '-D', 'data'],
        cwd: '/srv',
        user: '999',
        group: '999',
        env: { PGPORT: '5432' },
        restart: 'never',
        restartNote: 'compose restarts nothing unless told',
        readiness: { exec: ['pg_isready', '-q'], interval: '2s', timeout: '60s', initial_delay: '5s' },
      },
      {
        name: 'migrate',
        command: ['./migrate', '--all'],
        type: 'oneshot',
        restart: 'on-failure',
        restartNote: "compose: on-failure:3 (tend's start_limit bounds the retries)",
        depends_on: { db: 'healthy' },
      },
      {
        name: 'web',
        was: 'Web',
        command: 'node server.js',
        env: { PORT: '8080' },
        env_file: ['web.env'],
        restart: 'always',
        restartNote: 'compose: unless-stopped (a stopped service stays stopped in tend too)',
        readiness: { exec: 'curl -f http://localhost:8080/' },
        replicas: 3,
        depends_on: { migrate: 'completed' },
      },
      { name: 'worker', command: './work', restart: 'never', depends_on: { db: 'started' } },
    ]);
    expect(d.dropped).toEqual([
      'top level: volumes, networks',
      'db: image, ports, volumes',
      'migrate: build',
      'web: deploy.resources',
    ]);
    expect(d.notes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^"Web" is named web/),
        'db: cwd /srv was the folder inside the container; check it exists here',
        expect.stringMatching(/^db: env FROM_SHELL had no value/),
        expect.stringMatching(/^db: healthcheck retries left out/),
        expect.stringMatching(/^web: env DEBUG had no value/),
        'web: env_file gone.env left out (no such file)',
        expect.stringMatching(/^cache: left out: no command or entrypoint \(image redis:7 runs its own\)/),
        'web: depends_on cache left out (it is left out too)',
        'worker: depends_on nowhere left out (no such service)',
        'migrate: type oneshot (web waits for it to complete)',
      ]),
    );
  });

  it('writes a file that loads as a valid config, with comments explaining the keys', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'web.env'), 'A=1\n');
    const file = join(dir, 'docker-compose.yml');
    writeFileSync(file, COMPOSE);
    const made = converted('docker-compose.yml', file, dir);
    expect(made.services).toEqual(['db', 'migrate', 'web', 'worker']);
    expect(made.report).toContain('not carried over: db: image, ports, volumes');
    expect(made.text).toMatch(
      /^# Not carried over from docker-compose.yml:\n# {3}top level: volumes, networks\n# {3}db: image, ports, volumes$/m,
    );
    expect(made.text).toMatch(/depends_on: +# started \| healthy/);
    const spec = parseSpec(made.text, join(dir, 'tend.yaml'));
    const web = spec.services.find((s) => s.name === 'web')!;
    expect(web.replicas).toBe(3);
    expect(web.env).toMatchObject({ PORT: '8080', A: '1' });
    expect(spec.services.find((s) => s.name === 'migrate')!.type).toBe('oneshot');
  });

  it('refuses a file without services', () => {
    expect(() => fromCompose('version: "3"\n', 'c.yml', '/x/c.yml', '/x')).toThrow('c.yml: no services found');
  });
});

describe('the starter and the choice of converter', () => {
  it('the starter loads as a valid config', () => {
    const spec = parseSpec(starter().text, join(tmp(), 'tend.yaml'));
    expect(spec.services.map((s) => s.name)).toEqual(['hello']);
  });

  it('picks the converter by name, then by content', () => {
    expect(kindOf('/a/Procfile', '')).toBe('procfile');
    expect(kindOf('/a/Procfile.dev', '')).toBe('procfile');
    expect(kindOf('/a/compose.yaml', '')).toBe('compose');
    expect(kindOf('/a/stack', 'services:\n  a: {command: x}\n')).toBe('compose');
    expect(kindOf('/a/stack', 'web: x\n')).toBe('procfile');
    // neither: a file of other lines (it was read as a Procfile: /etc/passwd made 26 services)
    expect(kindOf('/etc/passwd', 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/:/bin/false\n')).toBeUndefined();
    expect(kindOf('/a/notes.txt', 'hello world\n')).toBeUndefined();
    expect(() => converted('/etc/passwd', '/etc/passwd', tmp())).toThrow(/neither a Procfile .* nor a compose file/);
  });

  it('the converted Procfile loads as a valid config', () => {
    const dir = tmp();
    const made = emitDraft(fromProcfile('web: echo "a: b" # x\nworker: [x]\n', 'Procfile'));
    const spec = parseSpec(made, join(dir, 'tend.yaml'));
    expect(spec.services.map((s) => [s.name, s.command])).toEqual([
      ['web', 'echo "a: b" # x'],
      ['worker', '[x]'],
    ]);
  });
});
