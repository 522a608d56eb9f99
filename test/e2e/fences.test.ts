// The fences of a service (README "Sandboxing") with the built binary, each seen from outside
// the process: /proc/PID/limits, status (NoNewPrivs, CapBnd, CapAmb), environ, ns/* inodes,
// root, mountinfo, `ip link` and `hostname` entered with nsenter, a bind to port 80 as nobody
// with CAP_NET_BIND_SERVICE and its refusal without it; a fence the kernel refuses fails the
// start with its reason. Root only (each part skips with its reason where it cannot run).
import { spawnSync } from 'node:child_process';
import { copyFileSync, chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CAPABILITIES } from '../../src/core/fences.js';
import { initPath } from '../../src/sys/addon.js';
import { oomWarning } from '../../src/config/host-fences.js';
import { pidAlive, useProjects, waitFor } from './harness.js';
import { childrenOf, commOf } from './procs.js';
import { RootlessProject } from './rootless.js';

const isRoot = process.getuid?.() === 0;
/** Why a namespace of this kind cannot be made here (as root), or undefined. */
function nsRefused(flag: string): string | undefined {
  const r = spawnSync('unshare', [flag, '--fork', 'true']);
  return r.error
    ? `no unshare(1): ${r.error.message}`
    : r.status !== 0
      ? `unshare ${flag} refused: ${String(r.stderr).trim()}`
      : undefined;
}
const noRoot = isRoot ? undefined : 'not root';
const noNs = noRoot ?? nsRefused('-mupnU') ?? (spawnSync('nsenter', ['--version']).error ? 'no nsenter(1)' : undefined);
if (noRoot) console.log(`skipping test/e2e/fences.test.ts: ${noRoot}`);
else if (noNs) console.log(`skipping the namespace tests of test/e2e/fences.test.ts: ${noNs}`);
const unprivilegedPorts = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim() || '1024');
const noPort80 =
  noRoot ??
  (unprivilegedPorts <= 80
    ? `net.ipv4.ip_unprivileged_port_start is ${unprivilegedPorts}: port 80 needs no capability here`
    : undefined);
if (!noRoot && noPort80) console.log(`skipping the port-80 test of test/e2e/fences.test.ts: ${noPort80}`);
const noUserns = noRoot ?? nsRefused('-U') ?? (spawnSync('setpriv', ['--version']).error ? 'no setpriv(1)' : undefined);

const { project, track, started } = useProjects();

/** The pid of a running instance. */
async function pidOf(p: { status(): Promise<Array<Record<string, any>>> }, name: string): Promise<number> {
  return waitFor(
    async () => {
      const row = (await p.status()).find((r) => r.name === name);
      return row?.state === 'running' ? (row.pid as number) : undefined;
    },
    `${name} running`,
    30_000,
  );
}

/** A field of /proc/PID/status. */
function statusField(pid: number, field: string): string {
  const m = new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? m[1]!.trim() : '';
}

/** A row of /proc/PID/limits: [soft, hard]. */
function limit(pid: number, row: string): [string, string] {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(row))!;
  const [soft, hard] = line.slice(26).trim().split(/\s+/);
  return [soft!, hard!];
}

const ns = (pid: number | 'self', kind: string): string => readlinkSync(`/proc/${pid}/ns/${kind}`);

/** The mount of mountinfo at `point`: [root within its fs, options, fs type]. */
function mountAt(pid: number, point: string): { root: string; opts: string; fstype: string } | undefined {
  for (const line of readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n')) {
    const f = line.split(' ');
    if (f[4] !== point) continue;
    const dash = f.indexOf('-');
    return { root: f[3]!, opts: f[5]!, fstype: f[dash + 1]! };
  }
  return undefined;
}

/** A minimal root for root_dir: sh and sleep with the libraries ldd names. */
function makeRoot(dir: string): void {
  for (const bin of ['/bin/sh', '/bin/sleep']) {
    const files = [bin, ...[...spawnSync('ldd', [bin], { encoding: 'utf8' }).stdout.matchAll(/(\/\S+) \(0x/g)].map((m) => m[1]!)];
    for (const f of files) {
      mkdirSync(join(dir, dirname(f)), { recursive: true });
      copyFileSync(f, join(dir, f));
      chmodSync(join(dir, f), 0o755);
    }
  }
  for (const d of ['tmp', 'proc', 'srv']) mkdirSync(join(dir, d), { recursive: true });
}

/** A capability set of this process (`CapBnd`, `CapEff`), which the daemon inherits. */
const ownCaps = (set: string): bigint =>
  BigInt(`0x${new RegExp(`^${set}:\\s*([0-9a-f]+)$`, 'm').exec(readFileSync('/proc/self/status', 'utf8'))![1]}`);

describe('limits and capabilities that cannot be had as written', () => {
  it('limits.nofile above what can be set: the hard limit it can have, and the journal says so once', async () => {
    // with CAP_SYS_RESOURCE the hard limit may go up to fs.nr_open; without, not past tend's own
    // (the test runner's, which the daemon inherits)
    const nrOpen = Number(readFileSync('/proc/sys/fs/nr_open', 'utf8').trim());
    const own = Number(/^Max open files\s+\S+\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1]);
    const raises = ((ownCaps('CapEff') >> 24n) & 1n) === 1n; // CAP_SYS_RESOURCE
    const asked = raises ? nrOpen + 1 : own + 1;
    const p = await started(
      [
        'settings: { echo: false }',
        'services:',
        '  many:',
        '    command: [sleep, "1000"]',
        `    limits: { nofile: ${asked} }`,
        '',
      ].join('\n'),
    );
    const pid = await pidOf(p, 'many');
    expect(limit(pid, 'Max open files')).toEqual([String(own), String(own)]);
    await p.run(['restart', 'many']);
    await pidOf(p, 'many');
    const warnings = (await p.events()).filter((e) => e.what === 'warning' && e.service === 'many');
    expect(warnings.map((e) => e.why)).toEqual([
      raises
        ? `limits.nofile ${asked} is over the kernel's fs.nr_open (${nrOpen}): the service gets ${own} open files`
        : `limits.nofile ${asked} is over tend's own hard limit (${own}), which only CAP_SYS_RESOURCE (root) can raise: the service gets ${own} open files`,
    ]);
  });

  const lacking = CAPABILITIES.filter((_, bit) => ((ownCaps('CapBnd') >> BigInt(bit)) & 1n) === 0n);
  const held =
    ((ownCaps('CapBnd') >> 10n) & 1n) === 1n
      ? 'CAP_NET_BIND_SERVICE'
      : CAPABILITIES.find((_, bit) => ((ownCaps('CapBnd') >> BigInt(bit)) & 1n) === 1n);
  const noLack =
    noRoot ??
    (lacking.length === 0
      ? 'tend would hold every capability here'
      : held === undefined
        ? 'tend holds no capability here'
        : undefined);
  if (noLack) console.log(`skipping the capability tend lacks of test/e2e/fences.test.ts: ${noLack}`);
  it.skipIf(noLack)('a capability tend lacks: the service runs without it, and the journal says so', async () => {
    const p = await started(
      [
        'settings: { echo: false }',
        'services:',
        '  capped:',
        '    command: [sleep, "1000"]',
        `    capabilities: [${lacking[0]}]`,
        // a user other than root gets the capabilities as ambient ones: the one tend lacks was
        // asked for too, and the spawn failed (capset cannot add to the permitted set)
        '  nobody:',
        '    command: [sleep, "1000"]',
        '    user: nobody',
        `    capabilities: [${held}, ${lacking[0]}]`,
        '',
      ].join('\n'),
    );
    const pid = await pidOf(p, 'capped');
    expect(BigInt(`0x${statusField(pid, 'CapBnd')}`)).toBe(0n);
    const other = await pidOf(p, 'nobody');
    const heldBit = 1n << BigInt(CAPABILITIES.indexOf(held));
    expect([statusField(other, 'CapAmb'), statusField(other, 'CapEff')].map((x) => BigInt(`0x${x}`))).toEqual([heldBit, heldBit]);
    const warnings = (await p.events()).filter((e) => e.what === 'warning' && e.service !== 'tend');
    expect(warnings.map((e) => `${e.service}: ${e.why}`).sort()).toEqual(
      ['capped', 'nobody'].map(
        (s) => `${s}: capabilities ${lacking[0]} not held by tend (not in its bounding set): the service runs without it`,
      ),
    );
    // status --json gives the fences in force: not the capability the service cannot have
    const row = (await p.status()).find((r) => r.name === 'capped')!;
    expect(row.fences).toEqual({ capabilities: [] });
    // tend why lists the fences as configured, and says which the service lacks
    const why = await p.run(['why', 'capped']);
    expect(why.stdout).toContain(`Fences: capabilities ${lacking[0]}.`);
    expect(why.stdout).toContain(
      `Capabilities ${lacking[0]} not held by tend (not in its bounding set): the service runs without it.`,
    );
  });
});

describe.skipIf(noRoot)('fences (root)', () => {
  it("a negative oom_score_adjust: applied with CAP_SYS_RESOURCE; without it the service runs with tend's own, said in the journal", async () => {
    const p = await started(
      'settings: { echo: false }\nservices:\n  guarded:\n    command: [sleep, "1000"]\n    oom_score_adjust: -500\n',
    );
    await p.waitState('guarded', 'running');
    const pid = (await p.status())[0]!.pid as number;
    const lacking = oomWarning({ oomScoreAdjust: -500 });
    const own = readFileSync(`/proc/${p.daemon!.pid}/oom_score_adj`, 'utf8').trim();
    expect(readFileSync(`/proc/${pid}/oom_score_adj`, 'utf8').trim()).toBe(lacking ? own : '-500');
    if (lacking) expect((await p.run(['events', 'guarded'])).stdout).toContain(lacking);
    expect((await p.status())[0]!.restarts).toBe(0);
  });

  it('rlimits, no_new_privileges, capabilities, nice, oom_score_adjust, cpu_affinity, clean_env', async () => {
    const p = project(
      [
        'settings: { echo: false }',
        'services:',
        '  limited:',
        '    command: [sleep, "1000"]',
        '    rlimits: { core: 0, nofile: { soft: 100, hard: 200 }, as: 1G, cpu: unlimited, nproc: { soft: 50, hard: 60 } }',
        '    no_new_privileges: true',
        '    capabilities: [CAP_NET_BIND_SERVICE, net_raw]',
        '    nice: 7',
        '    oom_score_adjust: 600',
        '    cpu_affinity: [0]',
        '  nofile:',
        '    command: [sleep, "1000"]',
        '    limits: { nofile: 77 }',
        '  clean:',
        '    command: [sleep, "1000"]',
        '    clean_env: true',
        '    env: { FOO: bar }',
        '  full:',
        '    command: [sleep, "1000"]',
        '',
      ].join('\n'),
    );
    await p.up([], { TEND_FENCE_SECRET: 'hunter2' });
    const pid = await pidOf(p, 'limited');
    expect(limit(pid, 'Max core file size')).toEqual(['0', '0']);
    expect(limit(pid, 'Max open files')).toEqual(['100', '200']);
    expect(limit(pid, 'Max address space')).toEqual([String(1024 ** 3), String(1024 ** 3)]);
    expect(limit(pid, 'Max cpu time')).toEqual(['unlimited', 'unlimited']);
    expect(limit(pid, 'Max processes')).toEqual(['50', '60']);
    expect(statusField(pid, 'NoNewPrivs')).toBe('1');
    expect(statusField(pid, 'CapBnd')).toBe('0000000000002400'); // bits 10 and 13
    expect(statusField(pid, 'CapEff')).toBe('0000000000002400'); // root: what the bounding set leaves
    expect(statusField(pid, 'Cpus_allowed_list')).toBe('0');
    expect(readFileSync(`/proc/${pid}/oom_score_adj`, 'utf8').trim()).toBe('600');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    expect(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]).toBe('7'); // field 19: nice
    // limits.nofile keeps working
    expect(limit(await pidOf(p, 'nofile'), 'Max open files')).toEqual(['77', '77']);

    const environ = (n: number) =>
      Object.fromEntries(
        readFileSync(`/proc/${n}/environ`, 'utf8')
          .split('\0')
          .filter(Boolean)
          .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
      );
    expect(environ(await pidOf(p, 'clean'))).toEqual({
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      FOO: 'bar',
      TEND_SERVICE: 'clean',
      TEND_INSTANCE: 'clean',
      HOME: '/root',
      USER: 'root',
      LOGNAME: 'root',
    });
    expect(environ(await pidOf(p, 'full')).TEND_FENCE_SECRET).toBe('hunter2'); // without clean_env: tend's environment

    // status --json and why show the fences in force
    const row = (await p.status()).find((r) => r.name === 'limited')!;
    expect(row.fences).toEqual({
      rlimits: {
        core: { soft: 0, hard: 0 },
        nofile: { soft: 100, hard: 200 },
        as: { soft: 1024 ** 3, hard: 1024 ** 3 },
        cpu: { soft: null, hard: null },
        nproc: { soft: 50, hard: 60 },
      },
      no_new_privileges: true,
      capabilities: ['CAP_NET_BIND_SERVICE', 'CAP_NET_RAW'],
      nice: 7,
      oom_score_adjust: 600,
      cpu_affinity: [0],
    });
    expect((await p.status()).find((r) => r.name === 'full')!.fences).toBeUndefined();
    const why = await p.run(['why', 'limited']);
    expect(why.stdout).toContain(
      'Fences: rlimits core=0 nofile=100:200 as=1073741824 cpu=unlimited nproc=50:60, no_new_privileges, capabilities CAP_NET_BIND_SERVICE CAP_NET_RAW, nice 7, oom_score_adjust 600, cpu_affinity 0.',
    );
  }, 90_000);

  it.skipIf(noPort80)(
    'capabilities: nobody binds port 80 with CAP_NET_BIND_SERVICE (ambient), and is refused without it',
    async () => {
      const server = (host: string) =>
        `[${JSON.stringify(process.execPath)}, -e, "require('net').createServer().listen(80, '${host}', () => console.log('bound')).on('error', (e) => { console.log(e.code); process.exit(3) })"]`;
      const p = await started(
        [
          'settings: { echo: false }',
          'services:',
          '  web:',
          `    command: ${server('127.0.0.77')}`,
          '    user: nobody',
          '    capabilities: [CAP_NET_BIND_SERVICE]',
          '    readiness: { tcp: "127.0.0.77:80" }',
          '  denied:',
          `    command: ${server('127.0.0.78')}`,
          '    user: nobody',
          '    restart: never',
          '',
        ].join('\n'),
      );
      const pid = await pidOf(p, 'web');
      expect(statusField(pid, 'Uid').split(/\s+/)).toEqual(['65534', '65534', '65534', '65534']);
      expect(statusField(pid, 'CapAmb')).toBe('0000000000000400');
      expect(statusField(pid, 'CapBnd')).toBe('0000000000000400');
      await p.waitState('denied', 'failed', 30_000);
      const row = (await p.status()).find((r) => r.name === 'denied')!;
      expect(row.exit_code).toBe(3);
      // the output drains after the exit: waited for, not read at once
      await waitFor(() => readFileSync(join(p.dir, '.tend/logs/denied.log'), 'utf8').includes('EACCES'), 'EACCES in denied.log');
      await waitFor(() => readFileSync(join(p.dir, '.tend/logs/web.log'), 'utf8').includes('bound'), 'bound in web.log');
    },
    90_000,
  );

  it.skipIf(noNs)(
    'namespaces: private_tmp, read-only and inaccessible paths, hostname, network none, private_pids, root_dir',
    async () => {
      const p = project('settings: { echo: false }\nservices: {}\n');
      const mark = `tend-fence-${process.pid}-${Date.now()}`;
      mkdirSync(join(p.dir, 'secret'));
      writeFileSync(join(p.dir, 'secret/key'), 'k');
      writeFileSync(join(p.dir, 'secret.txt'), 'password');
      makeRoot(join(p.dir, 'jail'));
      p.write(
        [
          'settings: { echo: false }',
          'services:',
          '  boxed:',
          `    command: "echo x > /tmp/${mark}; sleep 1001 & exec sleep 1000"`,
          '    private_tmp: true',
          '    read_only_paths: [/usr]',
          '    hostname: fenced',
          '    network: none',
          '    private_pids: true', // and the default stop_timeout (10s): see the stop below
          '  orphans:', // an orphan of the namespace is handed to pid 1: reaped there
          `    command: [sh, -c, 'sh -c "sleep 0.2 & exit 0"; exec sleep 1000']`,
          '    private_pids: true',
          '  hup:', // `tend signal` reaches the command through tend-init
          `    command: [sh, -c, 'trap "echo got HUP" HUP; while :; do sleep 0.1; done']`,
          '    private_pids: true',
          '  code:', // the command's exit code is the service's
          `    command: [sh, -c, 'exit 3']`,
          '    private_pids: true',
          '    restart: never',
          '  hidden:', // the project is under /tmp: not with private_tmp, which would hide it
          '    command: [sleep, "1000"]',
          `    read_only_paths: ${p.dir}`,
          `    inaccessible_paths: [${join(p.dir, 'secret')}, ${join(p.dir, 'secret.txt')}]`,
          '  jailed:',
          '    command: "exec sleep 1000"',
          '    root_dir: jail',
          '    cwd: /srv',
          '    private_tmp: true',
          '    private_pids: true', // tend-init is exec'd from an fd: the jail has no path to it
          '  broken:',
          '    command: [sleep, "1000"]',
          '    read_only_paths: /nonexistent-tend-path',
          '    restart: never',
          '  nojail:', // a root_dir that is not there: said so, not "spawn sleep ENOENT"
          '    command: [sleep, "1000"]',
          '    root_dir: /nonexistent-tend-jail',
          '    restart: never',
          '',
        ].join('\n'),
      );
      await p.up();
      const pid = await pidOf(p, 'boxed');
      for (const kind of ['mnt', 'uts', 'net', 'pid']) expect(ns(pid, kind), kind).not.toBe(ns('self', kind));
      expect(ns(pid, 'user')).toBe(ns('self', 'user'));
      // pid 1 of its own pid namespace is tend-init (native/init.c), with a /proc of that namespace
      expect(statusField(pid, 'NSpid').split(/\s+/)).toEqual([String(pid), '1']);
      expect(commOf(pid)).toBe('tend-init');
      expect(readlinkSync(`/proc/${pid}/exe`)).toBe(initPath); // how tend tells (src/spawn/process.ts)
      expect(mountAt(pid, '/proc')?.fstype).toBe('proc');
      const inside = (args: string[]) => spawnSync('nsenter', ['-t', String(pid), ...args], { encoding: 'utf8' }).stdout.trim();
      expect(
        inside(['-n', 'ip', '-o', 'link'])
          .split('\n')
          .map((l) => l.split(':')[1]!.trim()),
      ).toEqual(['lo']);
      expect(inside(['-n', 'ip', '-o', 'link'])).toMatch(/<LOOPBACK,UP,LOWER_UP>/);
      expect(inside(['-u', 'hostname'])).toBe('fenced');
      // its own /tmp (the host's has no such file), a tend-made folder outside
      await waitFor(() => existsSync(`/proc/${pid}/root/tmp/${mark}`), 'the marker in the private /tmp');
      expect(existsSync(`/tmp/${mark}`)).toBe(false);
      const tmp = mountAt(pid, '/tmp')!;
      expect(tmp.root).toMatch(/\/tend-boxed-[^/]+\/tmp$/);
      expect(mountAt(pid, '/usr')!.opts.split(',')).toContain('ro');
      expect(mountAt(pid, '/usr')!.root).toBe('/usr');

      const hidden = await pidOf(p, 'hidden');
      expect(ns(hidden, 'mnt')).not.toBe(ns('self', 'mnt'));
      expect(ns(hidden, 'net')).toBe(ns('self', 'net'));
      expect(mountAt(hidden, p.dir)!.opts.split(',')).toContain('ro');
      expect(mountAt(hidden, join(p.dir, 'secret'))!.fstype).toBe('tmpfs');
      expect(mountAt(hidden, join(p.dir, 'secret'))!.opts.split(',')).toContain('ro');
      expect(readdirSync(`/proc/${hidden}/root${join(p.dir, 'secret')}`)).toEqual([]);
      // a file: neither read nor written, root included (a write to /dev/null was lost in silence)
      const hiddenFile = `/proc/${hidden}/root${join(p.dir, 'secret.txt')}`;
      expect(() => readFileSync(hiddenFile, 'utf8')).toThrow(/EACCES/);
      expect(() => writeFileSync(hiddenFile, 'x')).toThrow(/EACCES/);
      expect(readFileSync(join(p.dir, 'secret.txt'), 'utf8')).toBe('password'); // the host's is untouched

      // root_dir: the process's root is the jail, cwd inside it
      const jailed = await pidOf(p, 'jailed');
      expect(readlinkSync(`/proc/${jailed}/root`)).toBe(join(p.dir, 'jail'));
      expect(readlinkSync(`/proc/${jailed}/cwd`)).toBe(join(p.dir, 'jail/srv'));
      expect(commOf(jailed)).toBe('tend-init');
      expect(readlinkSync(`/proc/${jailed}/exe`)).toBe(initPath);
      const jailedCommand = childrenOf(jailed)[0]!;
      expect(commOf(jailedCommand)).toBe('sleep');
      expect(readlinkSync(`/proc/${jailedCommand}/root`)).toBe(join(p.dir, 'jail'));
      expect(readlinkSync(`/proc/${jailedCommand}/cwd`)).toBe(join(p.dir, 'jail/srv'));
      expect(mountAt(jailed, '/tmp')!.root).toMatch(/\/tend-jailed-[^/]+\/tmp$/);

      // a fence the kernel refuses: no start, its reason in status, why and the journal
      await p.waitState('broken', 'failed', 30_000);
      const reason = 'cannot make read-only /nonexistent-tend-path: No such file or directory';
      expect((await p.status()).find((r) => r.name === 'broken')!.detail).toContain(reason);
      expect((await p.run(['why', 'broken'])).stdout).toContain(reason);
      expect((await p.events()).some((e) => e.service === 'broken' && e.why.includes(reason))).toBe(true);
      await p.waitState('nojail', 'failed', 30_000);
      expect((await p.status()).find((r) => r.name === 'nojail')!.detail).toBe(
        'could not start: cannot chroot to /nonexistent-tend-jail: No such file or directory',
      );

      // the command is tend-init's one child, pid 2 there (`sleep 1000`, the shell exec'd into it);
      // the `sleep 1001` it left behind is its own child
      const tree = childrenOf(pid);
      expect(tree).toHaveLength(1);
      expect(commOf(tree[0]!)).toBe('sleep');
      expect(statusField(tree[0]!, 'NSpid').split(/\s+/)).toEqual([String(tree[0]), '2']);
      const left = childrenOf(tree[0]!);
      expect(left.map(commOf)).toEqual(['sleep']);

      // an orphan handed to pid 1 is reaped: tend-init and the command are all that is left
      const orphans = await pidOf(p, 'orphans');
      await waitFor(() => {
        const below = childrenOf(orphans);
        return below.length === 1 && commOf(below[0]!) === 'sleep' && childrenOf(below[0]!).length === 0;
      }, 'the orphan reaped (without tend-init: a zombie child of the command, pid 1, for good)');
      expect(statusField(orphans, 'State')).toMatch(/^S/);
      // `tend signal` signals the main process, tend-init, which passes it on to the command
      await pidOf(p, 'hup');
      expect((await p.run(['signal', 'hup', 'HUP'])).code).toBe(0);
      await waitFor(async () => (await p.run(['logs', 'hup'])).stdout.includes('got HUP'), 'the command trapped the HUP');
      // the command's exit code is the service's
      await p.waitState('code', 'failed', 30_000);
      expect((await p.status()).find((r) => r.name === 'code')!.detail).toBe('exited with code 3');

      // stop: tend-init passes SIGTERM on to the command, which has no handler and dies of it (as
      // pid 1 itself it would have ignored it, and the stop waited stop_timeout for the SIGKILL);
      // the namespace goes with tend-init, and tend removes the private /tmp
      expect((await p.run(['stop', 'boxed'])).code).toBe(0);
      await waitFor(() => !pidAlive(pid) && !pidAlive(tree[0]!) && !pidAlive(left[0]!), 'the namespace emptied');
      const stopped = (await p.events()).filter((e) => e.service === 'boxed');
      expect(stopped.some((e) => e.what === 'kill')).toBe(false);
      expect(stopped.at(-1)!.why).toContain('stopped (exited with code 143)');
      const made = join(tmpdir(), basename(dirname(tmp.root))); // mountinfo's root is within its fs
      await waitFor(() => !existsSync(made), `the private /tmp ${made} removed`);
      expect(existsSync(join(tmpdir(), basename(dirname(mountAt(jailed, '/tmp')!.root))))).toBe(true);
    },
    120_000,
  );

  it.skipIf(noUserns)(
    "user_namespace: root inside, tend's uid outside; a rootless tend fences with it, and without it is refused with the reason",
    async () => {
      // tend as root: 0 -> 0
      const p = await started(
        ['settings: { echo: false }', 'services:', '  u:', '    command: [sleep, "1000"]', '    user_namespace: true', ''].join(
          '\n',
        ),
      );
      const pid = await pidOf(p, 'u');
      expect(ns(pid, 'user')).not.toBe(ns('self', 'user'));
      expect(readFileSync(`/proc/${pid}/uid_map`, 'utf8').trim().split(/\s+/)).toEqual(['0', '0', '1']);

      // tend as nobody
      const r = track(
        new RootlessProject(
          [
            'settings: { echo: false }',
            'services:',
            '  inside:',
            '    command: [sleep, "1000"]',
            '    user_namespace: true',
            '    private_tmp: true',
            '    network: none',
            '    private_pids: true',
            '    hostname: rootless',
            '    capabilities: [CAP_NET_BIND_SERVICE]',
            '  refused:',
            '    command: [sleep, "1000"]',
            '    private_tmp: true',
            '    restart: never',
            '',
          ].join('\n'),
        ),
      );
      await r.up();
      const inner = await pidOf(r, 'inside');
      expect(statusField(inner, 'Uid').split(/\s+/)[0]).toBe('65534');
      expect(readFileSync(`/proc/${inner}/uid_map`, 'utf8').trim().split(/\s+/)).toEqual(['0', '65534', '1']);
      for (const kind of ['user', 'mnt', 'net', 'pid', 'uts']) expect(ns(inner, kind), kind).not.toBe(ns('self', kind));
      expect(commOf(inner)).toBe('tend-init'); // pid 1 there, the command its child
      expect(childrenOf(inner).map(commOf)).toEqual(['sleep']);
      expect(statusField(inner, 'CapBnd')).toBe('0000000000000400');
      await r.waitState('refused', 'failed');
      const row = (await r.status()).find((x) => x.name === 'refused')!;
      expect(row.detail).toContain('cannot create the namespaces (mount): Operation not permitted');
      // tend check says which keys need root
      const check = await r.run(['check']);
      expect(check.stdout + check.stderr).toContain('services.refused.private_tmp: private_tmp needs root');
    },
    120_000,
  );
});
