// The stop signal reaches each process of a service once (issue 13: the main process got it twice,
// once through its process group and once by pid). A service whose main process and child count
// the SIGINT and SIGTERM they receive, write the counts half a second after the first one (time for a
// second to arrive), and exit. Every way tend stops a process: tend stop (3 times), tend restart,
// a liveness restart, a task's timeout, exit_with, and shutdown. With cgroups where tend may make
// them (root here), and with process groups (tend as nobody, through setpriv).
import { spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Project, type RunResult, useProjects, waitFor } from './harness.js';
import { cgroupUnavailable } from './procs.js';
import { RootlessProject } from './rootless.js';

const { track } = useProjects();

const COUNTER = `
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const [role, dir] = process.argv.slice(2);
const name = process.env.TEND_SERVICE + '-' + role + '-' + process.pid;
const counts = { SIGINT: 0, SIGTERM: 0 };
let first = false;
const done = () => {
  // written whole, then named: the test reads it as soon as the name appears
  fs.writeFileSync(dir + '/.' + name + '.part', JSON.stringify(counts));
  fs.renameSync(dir + '/.' + name + '.part', dir + '/' + name + '.json');
  process.exit(0);
};
for (const s of ['SIGINT', 'SIGTERM']) {
  process.on(s, () => {
    counts[s]++;
    if (!first) setTimeout(done, 500); // a second signal would come within it (sent right after the first)
    first = true;
  });
}
if (role === 'main') spawn(process.execPath, [__filename, 'child', dir], { stdio: 'inherit' });
fs.writeFileSync(dir + '/up-' + name, '');
setInterval(() => {}, 1 << 30);
`;

/** Why the rootless variant cannot run here, or undefined. */
const noRootless =
  process.getuid?.() !== 0
    ? 'not root (setpriv to nobody needs it)'
    : spawnSync('setpriv', ['--version']).error
      ? 'no setpriv(1)'
      : undefined;
const noCgroups = cgroupUnavailable();
if (noCgroups) console.log(`stop-signal: tend as root runs without cgroups here (${noCgroups}): process groups in both variants`);
if (noRootless) console.log(`stop-signal: the process-group variant (tend as nobody) is skipped: ${noRootless}`);

type Variant = 'cgroups' | 'process groups';

/**
 * A project with the counter script and a folder for its counts (both writable by nobody too),
 * `settings` (YAML lines) added to its own, started.
 */
async function counterProject(
  variant: Variant,
  services: (counter: string, dir: string) => string,
  settings = '',
): Promise<{ p: Project; counts: string }> {
  const p = track(variant === 'cgroups' ? new Project('') : new RootlessProject(''));
  const counts = join(p.dir, 'counts');
  mkdirSync(counts, { mode: 0o777 });
  writeFileSync(join(p.dir, 'counter.cjs'), COUNTER);
  const counter = `[${JSON.stringify(process.execPath)}, ${JSON.stringify(join(p.dir, 'counter.cjs'))}, main, ${JSON.stringify(counts)}]`;
  p.write(`settings:\n  echo: false\n  watch: false\n  shutdown_timeout: 60s\n${settings}services:\n${services(counter, p.dir)}`);
  await p.up();
  return { p, counts };
}

/** The pids of a service's main processes and children that are up, i.e. have their handlers (their marker written). */
function upPids(counts: string, service: string): number[] {
  return readdirSync(counts)
    .filter((f) => f.startsWith(`up-${service}-`))
    .map((f) => Number(f.slice(f.lastIndexOf('-') + 1)));
}

/** Waits for a run of a service's counter (a main process and its child) that is new, with its handlers in place. */
async function nextRun(counts: string, service: string, seen: Set<number>): Promise<number[]> {
  return waitFor(
    () => {
      const fresh = upPids(counts, service).filter((p) => !seen.has(p));
      if (fresh.length < 2) return undefined;
      for (const p of fresh) seen.add(p);
      return fresh;
    },
    `a new main process of ${service} and its child, with their handlers in place`,
    60_000,
  );
}

/** What each of `pids` counted, once every one of them wrote it. */
async function countsOf(counts: string, pids: number[]): Promise<Array<Record<string, number>>> {
  const file = (pid: number) => readdirSync(counts).find((f) => f.endsWith(`-${pid}.json`) && !f.startsWith('up-'));
  await waitFor(() => pids.every((p) => file(p) !== undefined), `the counts of ${pids.join(', ')}`, 60_000);
  return pids.map((p) => JSON.parse(readFileSync(join(counts, file(p)!), 'utf8')) as Record<string, number>);
}

const ONCE = { SIGINT: 1, SIGTERM: 0 };

async function ok(r: Promise<RunResult>): Promise<RunResult> {
  const res = await r;
  if (res.code !== 0) throw new Error(`exit ${res.code}: ${res.stderr}`);
  return res;
}

const variants: Array<[Variant, string | undefined]> = [
  ['cgroups', undefined],
  ['process groups', noRootless],
];

describe.each(variants)('the stop signal, once to each process (%s)', (variant, skip) => {
  it.skipIf(skip !== undefined)(
    'tend stop, 3 times; tend restart; a liveness restart',
    async () => {
      const { p, counts } = await counterProject(
        variant,
        (c, dir) =>
          `  svc:\n    command: ${c}\n    stop_signal: SIGINT\n    stop_timeout: 30s\n    backoff: { initial: 100ms }\n` +
          // only the file fails it: with the default timeout (1 s), one probe slow to spawn under
          // load restarted the service early, and stop 2 counted that run's main process too
          `    liveness: { exec: "test ! -e ${join(dir, 'sick')}", interval: 200ms, timeout: 60s, failure_threshold: 1 }\n`,
      );
      const seen = new Set<number>();
      for (let round = 0; round < 3; round++) {
        const run = await nextRun(counts, 'svc', seen);
        await ok(p.run(['stop', 'svc']));
        expect(await countsOf(counts, run), `stop ${round + 1}`).toEqual([ONCE, ONCE]);
        await ok(p.run(['start', 'svc']));
      }
      let run = await nextRun(counts, 'svc', seen);
      await ok(p.run(['restart', 'svc']));
      expect(await countsOf(counts, run), 'restart').toEqual([ONCE, ONCE]);

      run = await nextRun(counts, 'svc', seen);
      writeFileSync(join(p.dir, 'sick'), '');
      expect(await countsOf(counts, run), 'liveness restart').toEqual([ONCE, ONCE]);
      rmSync(join(p.dir, 'sick'));
      expect((await p.events()).some((e) => e.service === 'svc' && /liveness/.test(e.why))).toBe(true);
    },
    300_000,
  );

  it.skipIf(skip !== undefined)(
    "a task's timeout; exit_with (a shutdown)",
    async () => {
      const { p, counts } = await counterProject(
        variant,
        (c) =>
          `  task:\n    type: oneshot\n    command: ${c}\n    stop_signal: SIGINT\n    stop_timeout: 30s\n    timeout: 3s\n    restart: never\n` +
          `  svc:\n    command: ${c}\n    stop_signal: SIGINT\n    stop_timeout: 30s\n` +
          `  leader:\n    command: [sh, -c, "while [ ! -e go ]; do sleep 0.1; done"]\n    restart: never\n`,
        '  exit_with: leader\n',
      );
      const taskRun = await nextRun(counts, 'task', new Set());
      const svcRun = await nextRun(counts, 'svc', new Set());
      await p.waitState('task', 'failed', 60_000);
      expect(await countsOf(counts, taskRun), 'task timeout').toEqual([ONCE, ONCE]);
      expect((await p.status()).find((s) => s.name === 'task')!.detail).toMatch(/timed out after 3/);

      writeFileSync(join(p.dir, 'go'), '');
      if (p instanceof RootlessProject) chownSync(join(p.dir, 'go'), 65534, 65534);
      expect(await p.exit).toBe(0);
      expect(await countsOf(counts, svcRun), 'exit_with').toEqual([ONCE, ONCE]);
    },
    300_000,
  );

  it.skipIf(skip !== undefined)(
    'shutdown (SIGTERM to tend)',
    async () => {
      const { p, counts } = await counterProject(
        variant,
        (c) => `  svc:\n    command: ${c}\n    stop_signal: SIGINT\n    stop_timeout: 30s\n`,
      );
      const run = await nextRun(counts, 'svc', new Set());
      // the containment this variant is about
      const inCgroup = run.every((pid) => /\/svc-svc$/m.test(readFileSync(`/proc/${pid}/cgroup`, 'utf8')));
      if (variant === 'process groups') expect(p.err).toContain('services are tracked by process group instead');
      expect(inCgroup).toBe(variant === 'cgroups' && noCgroups === undefined);
      p.daemon!.kill('SIGTERM');
      expect(await p.exit).toBe(0);
      expect(await countsOf(counts, run), 'shutdown').toEqual([ONCE, ONCE]);
    },
    300_000,
  );
});
