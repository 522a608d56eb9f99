// The fence keys of a service (README "Sandboxing"): each read into Fences, each bad value a
// located error, the pairs that cannot go together refused, a change of any restarting the
// service (named as written), and what `tend check` says of them when tend is not root.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSpec } from '../../src/config/check.js';
import {
  capabilitiesLacking,
  capabilitiesWarning,
  nofileWarning,
  oomWarning,
  ownHardLimits,
} from '../../src/config/host-fences.js';
import { changedFields, expandInstances, loadSpec, parseSpec } from '../../src/config/index.js';
import { CAPABILITIES, describeFences, fencesJson } from '../../src/core/fences.js';
import type { InstanceSpec, ServiceSpec } from '../../src/core/types.js';
import { errorsOf, tmpDir, yaml } from './helpers.js';

const web = (...lines: string[]) => yaml('services:', '  web:', '    command: x', ...lines.map((l) => `    ${l}`));
const svc = (...lines: string[]): ServiceSpec => parseSpec(web(...lines), '/srv/app/tend.yaml').services[0]!;
const inst = (...lines: string[]): InstanceSpec => expandInstances(parseSpec(web(...lines), '/srv/app/tend.yaml'))[0]!;

describe('fence keys', () => {
  it("are read into the service's fences, sizes and names made canonical", () => {
    const { fences, cwd } = svc(
      'rlimits: { core: 0, nofile: { soft: 1024, hard: 4096 }, as: 512M, cpu: unlimited, stack: { soft: 8M, hard: unlimited } }',
      'clean_env: true',
      'no_new_privileges: true',
      'capabilities: [net_raw, CAP_NET_BIND_SERVICE, cap_net_raw]',
      'nice: -5',
      'oom_score_adjust: 500',
      'cpu_affinity: "0-2,5"',
      'private_tmp: true',
      'read_only_paths: [/usr/, /etc]',
      'inaccessible_paths: /root',
      'root_dir: jail',
      'hostname: box-1',
      'network: none',
      'private_pids: true',
      'user_namespace: true',
    );
    expect(fences).toEqual({
      rlimits: {
        core: { soft: 0, hard: 0 },
        nofile: { soft: 1024, hard: 4096 },
        as: { soft: 512 * 1024 * 1024, hard: 512 * 1024 * 1024 },
        cpu: { soft: null, hard: null },
        stack: { soft: 8 * 1024 * 1024, hard: null },
      },
      cleanEnv: true,
      noNewPrivileges: true,
      capabilities: ['CAP_NET_BIND_SERVICE', 'CAP_NET_RAW'],
      nice: -5,
      oomScoreAdjust: 500,
      cpuAffinity: [0, 1, 2, 5],
      privateTmp: true,
      readOnlyPaths: ['/usr', '/etc'],
      inaccessiblePaths: ['/root'],
      rootDir: '/srv/app/jail',
      hostname: 'box-1',
      network: 'none',
      privatePids: true,
      userNamespace: true,
    });
    // under root_dir, cwd is a path inside it: / unless given
    expect(cwd).toBe('/');
    expect(svc('root_dir: /jail', 'cwd: srv').cwd).toBe('/srv');
  });

  it('off, or false, is no fence at all; capabilities: [] is one (drop them all)', () => {
    expect(svc().fences).toBeUndefined();
    expect(svc('clean_env: false', 'private_tmp: false', 'network: host', 'rlimits: {}').fences).toBeUndefined();
    expect(svc('capabilities: []').fences).toEqual({ capabilities: [] });
  });

  it('each bad value is a located error', () => {
    expect(
      errorsOf(
        web(
          'rlimits: { nofiles: 3, core: -1, as: 1Q, stack: { soft: 2M, hard: 1M }, cpu: 5M, nproc: { soft: 1 }, rss: { sof: 1, hard: 2 } }',
          'capabilities: [net_bind_servce, 3]',
          'nice: 20',
          'oom_score_adjust: -1001',
          'cpu_affinity: "3-1"',
          'read_only_paths: [usr]',
          'inaccessible_paths: []',
          'hostname: "a b"',
          'network: nope',
          'private_pids: yes',
          'root_dir: ""',
        ),
      ),
    ).toEqual([
      'tend.yaml:4:25: services.web.rlimits.nofiles: unknown limit "nofiles"; expected one of as, core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack (did you mean "nofile"?)',
      'tend.yaml:4:34: services.web.rlimits.core: expected an integer >= 0, a size like 512M, or unlimited; got -1',
      'tend.yaml:4:42: services.web.rlimits.as: expected an integer >= 0, a size like 512M, or unlimited; got "1Q"',
      'tend.yaml:4:61: services.web.rlimits.stack.soft: the soft limit is over the hard one (2097152 > 1048576)',
      'tend.yaml:4:82: services.web.rlimits.cpu: expected an integer >= 0 or unlimited; got "5M"',
      'tend.yaml:4:86: services.web.rlimits.nproc: hard is missing: a limit is a value or {soft, hard}',
      'tend.yaml:4:118: services.web.rlimits.rss.sof: unknown key "sof": a limit is a value or {soft, hard} (did you mean "soft"?)',
      'tend.yaml:5:20: services.web.capabilities[0]: expected a capability like CAP_NET_BIND_SERVICE; got "net_bind_servce" (did you mean "CAP_NET_BIND_SERVICE"?)',
      'tend.yaml:5:37: services.web.capabilities[1]: expected a capability like CAP_NET_BIND_SERVICE; got 3',
      'tend.yaml:6:11: services.web.nice: expected an integer from -20 to 19; got 20',
      'tend.yaml:7:23: services.web.oom_score_adjust: expected an integer from -1000 to 1000; got -1001',
      'tend.yaml:8:19: services.web.cpu_affinity: expected CPU numbers 0..1023: a list, or a string like "0-3,6"; got "3-1"',
      'tend.yaml:9:23: services.web.read_only_paths[0]: expected an absolute path; got "usr"',
      'tend.yaml:10:5: services.web.inaccessible_paths: expected an absolute path or a list of them; got an empty list',
      'tend.yaml:11:15: services.web.hostname: expected a hostname (letters, digits, dots and dashes; at most 64); got "a b"',
      'tend.yaml:12:14: services.web.network: expected one of host, none; got "nope" (did you mean "none"?)',
      'tend.yaml:13:19: services.web.private_pids: expected true or false; got "yes"',
      'tend.yaml:14:15: services.web.root_dir: expected a non-empty string; got ""',
    ]);
  });

  it('user or group with user_namespace, and rlimits.nofile with limits.nofile, are refused', () => {
    expect(errorsOf(web('user: www', 'user_namespace: true'))).toEqual([
      "tend.yaml:4:11: services.web.user: user cannot go with user_namespace: the service runs as root inside its user namespace (tend's own user outside)",
    ]);
    expect(errorsOf(web('group: 5', 'user_namespace: true'))[0]).toMatch(
      /services\.web\.group: group cannot go with user_namespace/,
    );
    expect(errorsOf(web('limits: { nofile: 10 }', 'rlimits: { nofile: 20 }'))).toEqual([
      'tend.yaml:5:24: services.web.rlimits.nofile: limits.nofile is set too; set one of them',
    ]);
  });

  it('a change of any restarts the service, named as written', () => {
    const a = inst('rlimits: { core: 0, nofile: 10 }', 'private_tmp: true');
    const b = inst('rlimits: { core: 0, nofile: 20, nproc: 5 }', 'clean_env: true', 'network: none');
    expect(changedFields(a, b)).toEqual(['rlimits.nofile', 'rlimits.nproc', 'clean_env', 'private_tmp', 'network']);
    expect(changedFields(inst(), inst('capabilities: []'))).toEqual(['capabilities']);
    expect(changedFields(a, inst('rlimits: { core: 0, nofile: 10 }', 'private_tmp: true', 'restart: never'))).toEqual([]);
  });
});

describe('the fences as status and why show them', () => {
  it('status --json: the config keys and values; nothing when none', () => {
    expect(fencesJson(svc('private_tmp: true', 'rlimits: { core: 0 }', 'capabilities: [CAP_KILL]').fences)).toEqual({
      rlimits: { core: { soft: 0, hard: 0 } },
      capabilities: ['CAP_KILL'],
      private_tmp: true,
    });
    expect(fencesJson(undefined)).toBeUndefined();
  });

  it("why: one line in the README's order", () => {
    const f = svc(
      'network: none',
      'rlimits: { nofile: { soft: 10, hard: 20 }, cpu: unlimited }',
      'clean_env: true',
      'capabilities: []',
      'nice: 3',
    ).fences;
    expect(describeFences(f)).toBe('rlimits nofile=10:20 cpu=unlimited, clean_env, capabilities (none), nice 3, network none');
  });
});

describe('tend check: fences on this machine', () => {
  const warnings = (text: string, uid: number): string[] => {
    const dir = tmpDir();
    const file = join(dir, 'tend.yaml');
    writeFileSync(file, text);
    return checkSpec(file, { uid }).warnings.map((w) => `${w.line}:${w.col}: ${w.path}: ${w.message}`.replaceAll(dir, 'DIR'));
  };
  const fenced = yaml(
    'services:',
    '  web:',
    '    command: [sh, -c, "exit 0"]',
    '    private_tmp: true',
    '    network: none',
    '    capabilities: [CAP_NET_BIND_SERVICE]',
    '    nice: -1',
    '    oom_score_adjust: -10',
    '    no_new_privileges: true',
    '    rlimits: { core: 0 }',
  );

  it('when tend is not root: each key that needs root, with why', () => {
    expect(warnings(fenced, 1000)).toEqual([
      expect.stringMatching(
        /^8:23: services\.web\.oom_score_adjust: oom_score_adjust -10 is below tend's own \(-?\d+\), which needs CAP_SYS_RESOURCE/,
      ),
      '4:18: services.web.private_tmp: private_tmp needs root (CAP_SYS_ADMIN to make its namespace; or set user_namespace: true); tend runs as uid 1000',
      '5:14: services.web.network: network needs root (CAP_SYS_ADMIN to make its namespace; or set user_namespace: true); tend runs as uid 1000',
      '6:5: services.web.capabilities: capabilities needs root (CAP_SETPCAP to cut the bounding set); tend runs as uid 1000',
      '7:11: services.web.nice: nice needs root (CAP_SYS_NICE for a negative nice value); tend runs as uid 1000',
    ]);
  });

  it('when tend is not root: user and group need root, even its own (the launcher sets the groups)', () => {
    const as = (uid: number, ...lines: string[]) => {
      const dir = tmpDir();
      const file = join(dir, 'tend.yaml');
      writeFileSync(file, yaml('services:', '  web:', '    command: [sh, -c, "exit 0"]', ...lines));
      return checkSpec(file, { uid }).warnings.map((w) => `${w.path}: ${w.message}`);
    };
    expect(as(1000, '    user: 1000', '    group: 1')).toEqual([
      'services.web.user: user needs root (to set uid 1000 and its groups); tend runs as uid 1000',
      'services.web.group: group needs root (to set gid 1 and the groups); tend runs as uid 1000',
    ]);
    expect(as(0, '    user: 1000', '    group: 1')).toEqual([]);
  });

  it('a tcp or http probe of a network: none service cannot reach it, root or not', () => {
    const text = yaml(
      'services:',
      '  web:',
      '    command: [sh, -c, "exit 0"]',
      '    network: none',
      '    readiness: { tcp: "127.0.0.1:80" }',
      '    liveness: { exec: "true" }',
    );
    expect(warnings(text, 0)).toEqual([
      '5:23: services.web.readiness.tcp: a tcp probe cannot reach a service with network: none (tend probes from its own network); use an fd, log or exec probe',
    ]);
  });

  it('as root: none of those (but a negative oom_score_adjust where root lacks CAP_SYS_RESOURCE, as in a container)', () => {
    const oom = oomWarning({ oomScoreAdjust: -10 }); // this machine's own capabilities
    expect(warnings(fenced, 0)).toEqual(oom ? [`8:23: services.web.oom_score_adjust: ${oom}`] : []);
  });

  it('with user_namespace, the namespaces need no root', () => {
    expect(
      warnings(
        yaml(
          'services:',
          '  web:',
          '    command: [sh, -c, "exit 0"]',
          '    user_namespace: true',
          '    private_tmp: true',
          '    private_pids: true',
        ),
        1000,
      ),
    ).toEqual([]);
  });

  it("a hard limit above tend's own needs root; a missing root_dir is said for anyone", () => {
    const own = ownHardLimits();
    const nofile = own.get('nofile');
    expect(nofile === null || (typeof nofile === 'number' && nofile > 0)).toBe(true);
    if (typeof nofile === 'number') {
      expect(
        warnings(yaml('services:', '  web:', '    command: [sh, -c, "exit 0"]', `    rlimits: { nofile: ${nofile + 1} }`), 1000),
      ).toEqual([
        `4:24: services.web.rlimits.nofile: rlimits.nofile needs root: its hard limit ${nofile + 1} is over tend's own (${nofile})`,
      ]);
    }
    const dir = tmpDir();
    mkdirSync(join(dir, 'jail'));
    expect(warnings(yaml('services:', '  web:', '    command: nosuch', '    root_dir: /nonexistent-root'), 0)).toEqual([
      '4:15: services.web.root_dir: root_dir /nonexistent-root is not a directory on this machine',
    ]);
  });

  it("rlimits the start cannot set are said: nofile past fs.nr_open for anyone, over tend's own for root without CAP_SYS_RESOURCE", () => {
    const nrOpen = Number(readFileSync('/proc/sys/fs/nr_open', 'utf8').trim());
    const rl = (v: string) => yaml('services:', '  web:', '    command: [sh, -c, "exit 0"]', `    rlimits: { nofile: ${v} }`);
    for (const uid of [0, 1000]) {
      expect(warnings(rl('unlimited'), uid)).toEqual([
        `4:24: services.web.rlimits.nofile: rlimits.nofile unlimited is over the kernel's fs.nr_open (${nrOpen}): the start fails`,
      ]);
      expect(warnings(rl(String(nrOpen + 1)), uid)).toEqual([
        `4:24: services.web.rlimits.nofile: rlimits.nofile ${nrOpen + 1} is over the kernel's fs.nr_open (${nrOpen}): the start fails`,
      ]);
    }
    const eff = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`);
    // a resource whose hard limit here is a number (not nofile: fs.nr_open may be that number)
    const finite = [...ownHardLimits()].find(([name, hard]) => name !== 'nofile' && typeof hard === 'number' && hard > 0);
    if (process.getuid?.() !== 0 || ((eff >> 24n) & 1n) === 1n || finite === undefined)
      console.log('root without CAP_SYS_RESOURCE, with a finite hard limit, is not this machine: that part is skipped');
    else {
      const [name, own] = finite as [string, number];
      const text = yaml('services:', '  web:', '    command: [sh, -c, "exit 0"]', `    rlimits: { ${name}: ${own + 1} }`);
      expect(warnings(text, 0)).toEqual([
        `4:${18 + name.length}: services.web.rlimits.${name}: rlimits.${name} needs CAP_SYS_RESOURCE, which tend lacks here: its hard limit ${own + 1} is over tend's own (${own})`,
      ]);
    }
  });

  it('cpu_affinity with a CPU tend may not run on, and a notify socket the service cannot reach, are said', () => {
    const allowed = /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]!;
    expect(warnings(yaml('services:', '  web:', '    command: [sh, -c, "exit 0"]', '    cpu_affinity: [0, 1000]'), 0)).toEqual([
      `4:5: services.web.cpu_affinity: cpu_affinity 1000: not a CPU tend may run on here (${allowed})`,
    ]);
    expect(warnings(yaml('services:', '  web:', '    command: [sh, -c, "exit 0"]', '    cpu_affinity: [1000, 1001]'), 0)).toEqual(
      [`4:5: services.web.cpu_affinity: cpu_affinity 1000, 1001: not CPUs tend may run on here (${allowed}): the start fails`],
    );
    const notify = (...more: string[]) =>
      yaml(
        ...more,
        'services:',
        '  web:',
        '    command: [sh, -c, "exit 0"]',
        '    readiness: notify',
        '    network: none',
        '    private_tmp: true',
      );
    expect(warnings(notify(), 0)).toEqual([
      "4:16: services.web.readiness: readiness notify cannot reach tend from network: none: the notify socket is an abstract one, which belongs to tend's network; set settings.notify_socket to a path",
    ]);
    expect(warnings(notify('settings:', '  notify_socket: /tmp/tend-notify.sock'), 0)).toEqual([
      "6:16: services.web.readiness: readiness notify cannot reach tend's socket /tmp/tend-notify.sock from a private /tmp; set settings.notify_socket outside /tmp",
    ]);
    expect(warnings(notify('settings:', '  notify_socket: /run/tend-notify.sock'), 0)).toEqual([]);
    expect(warnings(notify('settings:', '  notify_socket: "@mine"'), 0).map((w) => w.replace(/^\d+:\d+: /, ''))).toEqual([
      "services.web.readiness: readiness notify cannot reach tend from network: none: the notify socket is an abstract one, which belongs to tend's network; set settings.notify_socket to a path",
    ]);
  });

  it("limits.nofile above what the child can set is said: tend's own hard limit, or with CAP_SYS_RESOURCE the kernel's fs.nr_open", () => {
    const own = ownHardLimits().get('nofile');
    const canRaise = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]!;
    const raises = ((BigInt(`0x${canRaise}`) >> 24n) & 1n) === 1n; // CAP_SYS_RESOURCE
    if (typeof own === 'number' && !raises) {
      expect(
        warnings(yaml('services:', '  web:', '    command: [sh, -c, "exit 0"]', `    limits: { nofile: ${own + 1} }`), 0),
      ).toEqual([
        `4:23: services.web.limits.nofile: limits.nofile ${own + 1} is over tend's own hard limit (${own}), which only CAP_SYS_RESOURCE (root) can raise: the service gets ${own} open files`,
      ]);
    }
    if (typeof own === 'number') {
      expect(
        warnings(yaml('services:', '  web:', '    command: [sh, -c, "exit 0"]', `    limits: { nofile: ${own} }`), 1000),
      ).toEqual([]);
    }
    // the rule, with CAP_SYS_RESOURCE, tend's hard limit and fs.nr_open given
    expect(nofileWarning(4096, false, 4096, 1 << 20)).toBeUndefined();
    expect(nofileWarning(4097, false, 4096, 1 << 20)).toBe(
      "limits.nofile 4097 is over tend's own hard limit (4096), which only CAP_SYS_RESOURCE (root) can raise: the service gets 4096 open files",
    );
    expect(nofileWarning(1 << 20, true, 4096, 1 << 20)).toBeUndefined(); // it raises its hard limit
    expect(nofileWarning((1 << 20) + 1, true, 4096, 1 << 20)).toBe(
      "limits.nofile 1048577 is over the kernel's fs.nr_open (1048576): the service gets 4096 open files",
    );
    expect(nofileWarning(1 << 30, false, null, 1 << 20)).toBeUndefined(); // tend's own is unlimited
  });

  it("an oom_score_adjust below tend's own without CAP_SYS_RESOURCE is said (the service runs with tend's own)", () => {
    const all = (1n << 41n) - 1n;
    const without = all & ~(1n << 24n);
    expect(oomWarning({ oomScoreAdjust: -500 }, without, 0)).toBe(
      "oom_score_adjust -500 is below tend's own (0), which needs CAP_SYS_RESOURCE, which tend lacks here: the service runs with tend's own",
    );
    expect(oomWarning({ oomScoreAdjust: -500 }, all, 0)).toBeUndefined();
    expect(oomWarning({ oomScoreAdjust: 500 }, without, 0)).toBeUndefined(); // raising needs nothing
    // a container's pod at 900: 500 is below it
    expect(oomWarning({ oomScoreAdjust: 500 }, without, 900)).toMatch(/^oom_score_adjust 500 is below tend's own \(900\)/);
    // the kernel asks for the capability in the first user namespace: user_namespace does not help
    expect(oomWarning({ oomScoreAdjust: -500, userNamespace: true }, without, 0)).toBeDefined();
  });

  it('capabilities tend lacks (not in its bounding set) are said, for root too', () => {
    // CAP_CHOWN is bit 0, CAP_NET_BIND_SERVICE 10, CAP_SYS_RESOURCE 24
    const bounding = (1n << 0n) | (1n << 10n);
    expect(capabilitiesLacking(['CAP_CHOWN', 'CAP_NET_BIND_SERVICE'], bounding)).toEqual([]);
    expect(capabilitiesLacking(['CAP_CHOWN', 'CAP_SYS_RESOURCE', 'CAP_NET_RAW'], bounding)).toEqual([
      'CAP_SYS_RESOURCE',
      'CAP_NET_RAW',
    ]);
    expect(capabilitiesWarning({ capabilities: ['CAP_SYS_RESOURCE'] }, bounding)).toBe(
      'capabilities CAP_SYS_RESOURCE not held by tend (not in its bounding set): the service runs without it',
    );
    expect(capabilitiesWarning({ capabilities: [] }, bounding)).toBeUndefined();
    expect(capabilitiesWarning({}, bounding)).toBeUndefined();
    expect(capabilitiesWarning(undefined, bounding)).toBeUndefined();
    // in its own user namespace a service holds every capability (there)
    expect(capabilitiesWarning({ capabilities: ['CAP_SYS_RESOURCE'], userNamespace: true }, bounding)).toBeUndefined();
    // this machine's own set, through tend check
    const own = BigInt(`0x${/^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`);
    const missing = CAPABILITIES.filter((_, bit) => ((own >> BigInt(bit)) & 1n) === 0n);
    if (missing.length === 0) console.log('tend holds every capability here: the check through tend check is skipped');
    else {
      expect(
        warnings(yaml('services:', '  web:', '    command: [sh, -c, "exit 0"]', `    capabilities: [${missing[0]}]`), 0),
      ).toEqual([
        `4:5: services.web.capabilities: capabilities ${missing[0]} not held by tend (not in its bounding set): the service runs without it`,
      ]);
    }
  });

  it('reads /proc/self/limits by resource order', () => {
    const text =
      'Limit                     Soft Limit           Hard Limit           Units     \n' +
      'Max cpu time              unlimited            unlimited            seconds   \n' +
      'Max file size             100                  200                  bytes     \n';
    expect([...ownHardLimits(text)]).toEqual([
      ['cpu', null],
      ['fsize', 200],
    ]);
  });
});

describe('examples/sandbox.yaml', () => {
  it('is a valid config whose every service is fenced', () => {
    const spec = loadSpec(join(import.meta.dirname, '../../examples/sandbox.yaml'));
    expect(spec.services.map((s) => [s.name, s.fences !== undefined])).toEqual([
      ['web', true],
      ['build', true],
      ['rootless', true],
    ]);
  });
});
