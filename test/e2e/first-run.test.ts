// The first run end to end with the built binary: an empty folder says how to begin; `tend init`
// writes a config that checks and runs; a Procfile and a compose file are converted and run;
// `tend shutdown` returns once the daemon has exited; `tend check --json`; service names for
// completion from the daemon and from the config.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pidAlive, tend, useProjects, waitFor, type Project } from './harness.js';

const { project, started } = useProjects();

/** A project folder with no tend.yaml in it (the harness writes one; it goes). */
function emptyProject(files: Record<string, string> = {}): Project {
  const p = project('', files);
  rmSync(join(p.dir, 'tend.yaml'));
  return p;
}

describe('no config', () => {
  it('every command says which file it looked for and suggests tend init', async () => {
    const p = emptyProject();
    const looked = `tend: no config file: looked for ${p.dir}/tend.yaml (no -c FILE given and $TEND_CONFIG unset, so ./tend.yaml)`;
    const status = await p.run(['status']);
    expect(status.code).toBe(3);
    expect(status.stderr).toBe(
      `tend: no tend daemon answers on ${p.socket}\n${looked}\ntend: to begin, \`tend init\` writes a commented starter config\n`,
    );
    // logs and events, which read the config's files when no daemon answers, say it the same way
    for (const words of [['logs', 'web'], ['events']]) {
      const r = await p.run(words);
      expect([r.code, r.stderr]).toEqual([3, status.stderr]);
    }
    const up = await p.run(['up']);
    expect(up.code).toBe(2);
    expect(up.stderr).toBe(`${looked}\ntend: to begin, \`tend init\` writes a commented starter config\n`);
    // the shell says it once and ends, rather than retrying; so does a bare tend
    const sh = await p.run(['shell']);
    expect(sh.code).toBe(3);
    expect(sh.stderr).toContain(looked);
    const bare = await p.run([]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/^tend: a process supervisor/);
    expect(bare.stderr).toContain(looked);
    const check = await p.run(['check', '--json']);
    expect(check.code).toBe(2);
    expect(JSON.parse(check.stdout)).toEqual([
      {
        file: `${p.dir}/tend.yaml`,
        line: 0,
        col: 0,
        path: '',
        message: 'no config file here (`tend init` writes a starter one)',
        severity: 'error',
      },
    ]);
  });

  it('suggests converting a Procfile it finds, and names the -c file', async () => {
    const p = emptyProject({ Procfile: 'web: sleep 1\n' });
    const r = await p.run(['stop', 'web', '-c', 'deploy/tend.yaml']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`looked for ${p.dir}/deploy/tend.yaml (given by -c)`);
    expect(r.stderr).toContain("tend: or `tend init -c deploy/tend.yaml --from Procfile` turns this folder's Procfile into one");
  });
});

describe('tend init', () => {
  it('writes a starter that checks and runs; refuses to overwrite without --force', async () => {
    const p = emptyProject();
    const r = await p.run(['init']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('wrote tend.yaml (1 service: hello)\nnext: tend up -d   (then tend status)\n');
    const text = readFileSync(join(p.dir, 'tend.yaml'), 'utf8');
    expect(text).toMatch(/^# tend\.yaml: the services tend runs\./);
    expect((await p.run(['check'])).stdout).toBe(`${p.dir}/tend.yaml: ok (1 service, 1 instance)\n`);
    const again = await p.run(['init']);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`tend init: ${p.dir}/tend.yaml exists; --force overwrites it\n`);
    writeFileSync(join(p.dir, 'tend.yaml'), 'services: {}\n');
    expect((await p.run(['init', '--force'])).code).toBe(0);
    expect(readFileSync(join(p.dir, 'tend.yaml'), 'utf8')).toBe(text);
    // a Procfile beside it is named, with the init that converts it (it wrote the starter silently)
    writeFileSync(join(p.dir, 'Procfile'), 'web: sleep 1000\n');
    const beside = await p.run(['init', '--force']);
    expect([beside.code, beside.stderr]).toEqual([
      0,
      'tend init: there is a Procfile here: tend init --from Procfile --force writes its services instead\n',
    ]);
    rmSync(join(p.dir, 'Procfile'));
    // the three commands of the README's first run
    await p.up();
    await p.waitState('hello', 'running');
    await waitFor(() => p.out.includes('hello | hello from tend'), 'the starter service to say hello');
  });

  it('converts a Procfile and runs it', async () => {
    const p = emptyProject({
      Procfile: '# two processes\nweb: while true; do echo "web tick"; sleep 0.2; done\nWorker.Queue: sleep 1000\n',
    });
    const r = await p.run(['init', '--from', 'Procfile']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^wrote tend\.yaml \(2 services: web, worker-queue\)$/m);
    expect(r.stderr).toBe(`tend init: "Worker.Queue" is named worker-queue (tend's names: a-z, 0-9, _ and -, at most 63)\n`);
    await p.up();
    await p.waitState('web', 'running');
    await p.waitState('worker-queue', 'running');
    await waitFor(() => p.out.includes('web | web tick'), 'web output');
  });

  it('converts a compose file, says what it left behind, and runs it in order', async () => {
    const p = emptyProject({
      'docker-compose.yml': `
services:
  db:
    image: postgres:16
    command: ["sh", "-c", "sleep 0.3; touch ready; sleep 1000"]
    healthcheck:
      test: ["CMD-SHELL", "test -f ready"]
      interval: 100ms
    ports: ["5432:5432"]
    volumes: [data:/var/lib/postgresql/data]
  migrate:
    build: .
    entrypoint: sh -c
    command: ["echo migrated > migrated.txt"]
    depends_on:
      db: { condition: service_healthy }
  web:
    image: node:20
    command: ["sh", "-c", "echo web says $GREETING; sleep 1000"]
    environment: [GREETING=hello]
    restart: unless-stopped
    depends_on:
      migrate: { condition: service_completed_successfully }
    deploy: { replicas: 2 }
volumes: { data: {} }
`,
    });
    const r = await p.run(['init', '--from', 'docker-compose.yml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^wrote tend\.yaml \(3 services: db, migrate, web\)$/m);
    expect(r.stderr).toContain('tend init: not carried over: top level: volumes\n');
    expect(r.stderr).toContain('tend init: not carried over: db: image, ports, volumes\n');
    expect(r.stderr).toContain('tend init: not carried over: migrate: build\n');
    expect(r.stderr).toContain('tend init: not carried over: web: image\n');
    expect(r.stderr).toContain('tend init: migrate: type oneshot (web waits for it to complete)\n');
    expect((await p.run(['check'])).stdout).toMatch(/ok \(3 services, 4 instances\)/);
    await p.up();
    await p.waitState('web.1', 'running');
    await p.waitState('web.2', 'running');
    expect(await p.state('migrate')).toBe('completed');
    expect(await p.state('db')).toBe('running');
    expect(existsSync(join(p.dir, 'migrated.txt'))).toBe(true);
    await waitFor(() => p.out.includes('web.1 | web says hello'), 'web output');
  });

  it('fails on a file that is not there', async () => {
    const p = emptyProject();
    const r = await p.run(['init', '--from', 'Procfile']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('tend init: Procfile: no such file\n');
    expect(existsSync(join(p.dir, 'tend.yaml'))).toBe(false);
  });
});

describe('tend up --socket', () => {
  it('serves on the socket given instead of settings.socket (how the peer benchmark drives tend)', async () => {
    const p = project('settings:\n  socket: elsewhere.sock\nservices:\n  a:\n    command: sleep 1000\n');
    p.clientEnv = { TEND_SOCKET: p.socket }; // the harness waits on .tend/tend.sock, not elsewhere.sock
    await p.up(['--socket', p.socket]);
    await p.waitState('a', 'running');
    expect(existsSync(join(p.dir, 'elsewhere.sock'))).toBe(false);
    expect((await p.run(['shutdown'])).code).toBe(0);
    expect(await p.exit).toBe(0);
  });
});

describe('tend shutdown', () => {
  it('returns once the daemon has exited and says what it stopped', async () => {
    const p = await started(
      'services:\n  a:\n    command: sleep 1000\n  b:\n    command: sleep 1000\n  job:\n    command: "true"\n    type: oneshot\n',
    );
    await p.waitState('a', 'running');
    await p.waitState('b', 'running');
    await p.waitState('job', 'completed');
    const pid = p.daemon!.pid!;
    const r = await p.run(['shutdown']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`stopped a, b\ntend exited (pid ${pid})\n`);
    expect(pidAlive(pid)).toBe(false);
    expect(await p.exit).toBe(0);
  });

  it('--no-wait returns at once; --json carries the list; a deadline that passes is a failure', async () => {
    const p = await started(`
settings: { shutdown_timeout: 5s }
services:
  stubborn:
    command: trap '' TERM; while true; do sleep 0.05; done
    stop_timeout: 1s
`);
    await p.waitState('stubborn', 'running');
    const pid = p.daemon!.pid!;
    const late = await p.run(['shutdown', '--timeout', '200ms']);
    expect(late.code).toBe(1);
    expect(late.stderr).toBe(`tend: timed out after 200ms waiting for tend (pid ${pid}) to exit\n`);
    expect(await p.exit).toBe(0);

    await p.up();
    await p.waitState('stubborn', 'running');
    const r = await p.run(['shutdown', '--no-wait', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      shutting_down: true,
      pid: p.daemon!.pid,
      stopping: ['stubborn'],
      timeout_ms: expect.toBeOneOf([null, 5000]),
      pid_ns: expect.stringMatching(/^pid:\[\d+\]$/),
      exited: false,
    });
    expect(await p.exit).toBe(0);
  });
});

describe('tend check', () => {
  it('--json lists every problem with file, line, col, path, message and severity; counts read 1 service, 2 services', async () => {
    const p = project('services:\n  web:\n    command: x\n    restart: alway\n  db:\n    comand: y\n');
    const r = await p.run(['check', '--json']);
    expect(r.code).toBe(2);
    const problems = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(problems.length).toBeGreaterThanOrEqual(2);
    for (const q of problems) expect(Object.keys(q).sort()).toEqual(['col', 'file', 'line', 'message', 'path', 'severity']);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          file: `${p.dir}/tend.yaml`,
          line: 4,
          col: 14,
          path: 'services.web.restart',
          severity: 'error',
        }),
        expect.objectContaining({
          line: 6,
          path: 'services.db.comand',
          message: expect.stringContaining('unknown key "comand"'),
        }),
      ]),
    );
    p.write('services:\n  web:\n    command: sleep 1\n');
    expect((await p.run(['check'])).stdout).toBe(`${p.dir}/tend.yaml: ok (1 service, 1 instance)\n`);
    const ok = await p.run(['check', '--json']);
    expect([ok.code, ok.stdout]).toEqual([0, '[]\n']);
    p.write('services:\n  web:\n    command: sleep 1\n    replicas: 2\n  db:\n    command: sleep 2\n');
    expect((await p.run(['check'])).stdout).toBe(`${p.dir}/tend.yaml: ok (2 services, 3 instances)\n`);
    // what would fail only at spawn is a warning: exit 0, said on stderr and in --json
    p.write('services:\n  web:\n    command: /no/such/binary\n');
    const warned = await p.run(['check']);
    expect([warned.code, warned.stdout]).toEqual([0, `${p.dir}/tend.yaml: ok (1 service, 1 instance; 1 warning)\n`]);
    expect(warned.stderr).toBe(
      `warning: ${p.dir}/tend.yaml:3:14: services.web.command: program "/no/such/binary" does not exist\n`,
    );
    const wj = JSON.parse((await p.run(['check', '--json'])).stdout) as Array<Record<string, unknown>>;
    expect(wj).toEqual([expect.objectContaining({ line: 3, col: 14, severity: 'warning', path: 'services.web.command' })]);
  });
});

describe('service names for completion', () => {
  it('come from the daemon when one answers, else from the config', async () => {
    const p = project(
      'settings: { watch: false }\nservices:\n  db:\n    command: sleep 1000\n  web:\n    command: sleep 1000\n    replicas: 2\n',
    );
    expect((await p.run(['__complete', 'services'])).stdout).toBe('all\ndb\nweb\nweb.1\nweb.2\n');
    await p.up();
    // the daemon's names win: a service added to the file but not loaded is not offered
    p.write(
      'settings: { watch: false }\nservices:\n  db:\n    command: sleep 1000\n  web:\n    command: sleep 1000\n    replicas: 2\n  later:\n    command: x\n',
    );
    expect((await p.run(['__complete', 'services'])).stdout).toBe('all\ndb\nweb\nweb.1\nweb.2\n');
    // -c of the line finds another project from anywhere
    const r = await tend('/', ['__complete', 'services', '-c', join(p.dir, 'tend.yaml')]);
    expect(r.stdout).toBe('all\ndb\nweb\nweb.1\nweb.2\n');
  });
});
