// The state file on real files: what is kept of each instance, the checks a file must pass to be
// trusted (a symlink, another owner, a mode others may write, a foreign cgroup), and a write
// that never goes through a link someone planted.
import { chmodSync, chownSync, lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { subtreeName } from '../../src/cgroup/tree.js';
import {
  readState,
  recordOf,
  stateWriter,
  trustedCgroupRoot,
  writeState,
  type DaemonState,
} from '../../src/daemon/state-file.js';
import { instanceSpec, record } from '../helpers/fakes.js';

let dir: string;
let file: string;
const socket = '/run/app/tend.sock';
const me = process.getuid?.() ?? 0;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tend-state-'));
  file = join(dir, 'tend.sock.state');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const STATE: DaemonState = {
  version: 2,
  pid: 1,
  cgroupRoot: null,
  instances: { a: { hash: 'h', want: 'up', pid: 42, startedAt: 5, spawns: 2, restarts: 1 } },
};

describe('what is kept of an instance', () => {
  it('a live process, a want other than autostart, a completion; nothing for one at rest as configured', () => {
    const a = instanceSpec('a');
    expect(
      recordOf(record(a, { pid: 42, startedAt: 5, spawns: 2, restarts: 1, state: 'running', trigger: 'schedule' }), 'h'),
    ).toEqual({
      hash: 'h',
      want: 'up',
      pid: 42,
      startedAt: 5,
      spawns: 2,
      restarts: 1,
      // why the live run started: an adopted run keeps it in its history
      trigger: 'schedule',
    });
    expect(recordOf(record(a, { want: 'down', state: 'stopped', spawns: 1 }), 'h')).toEqual({
      hash: 'h',
      want: 'down',
      pid: null,
      startedAt: null,
      spawns: 1,
      restarts: 0,
    });
    expect(recordOf(record(a, { state: 'completed', since: 9, spawns: 1 }), 'h')).toMatchObject({
      want: 'up',
      pid: null,
      completedAt: 9,
    });
    expect(recordOf(record(instanceSpec('b', { autostart: false }), { want: 'up', state: 'failed' }), 'h')).toMatchObject({
      want: 'up',
    });
    expect(recordOf(record(a, { state: 'failed' }), 'h')).toBeUndefined();
    expect(recordOf(record(instanceSpec('b', { autostart: false }), { want: 'down', state: 'stopped' }), 'h')).toBeUndefined();
  });

  it('the writer writes the store (ids such as __proto__ included) and remove() deletes the file', () => {
    const live = [record(instanceSpec('__proto__'), { pid: 7, startedAt: 1, state: 'running' })];
    const w = stateWriter(file, () => ({ cgroupRoot: null, live, hash: () => 'h' }));
    w.flush();
    const s = readState(file, socket);
    expect(s.ignored).toBeUndefined();
    expect(Object.hasOwn(s.state!.instances, '__proto__')).toBe(true);
    // biome-ignore lint/suspicious/noProto: a service named __proto__ is what this test is about
    expect(s.state!.instances.__proto__!.pid).toBe(7);
    w.remove();
    expect(readState(file, socket)).toEqual({});
  });
});

describe('reading: only a file tend wrote', () => {
  it('reads its own file; a version-1 file counts its instances as live and wanted up', () => {
    writeState(file, STATE);
    expect(readState(file, socket).state!.instances.a).toEqual(STATE.instances.a);
    writeFileSync(
      file,
      JSON.stringify({ version: 1, pid: 1, cgroupRoot: null, instances: { a: { hash: 'h', pid: 42, startedAt: 5, spawns: 2 } } }),
      { mode: 0o600 },
    );
    expect(readState(file, socket).state!.instances.a).toEqual({ hash: 'h', want: 'up', pid: 42, startedAt: 5, spawns: 2 });
  });

  it("a run's trigger is read back when it is one tend knows, and dropped when not", () => {
    const rec = (trigger: unknown) => ({ hash: 'h', want: 'up', pid: 42, startedAt: 5, spawns: 1, trigger });
    writeFileSync(file, JSON.stringify({ ...STATE, instances: { a: rec('schedule'), b: rec('whim') } }), { mode: 0o600 });
    const got = readState(file, socket).state!.instances;
    expect([got.a!.trigger, 'trigger' in got.b!]).toEqual(['schedule', false]);
  });

  it('a symlink, a mode others may write, garbage: ignored, saying why', () => {
    writeState(join(dir, 'elsewhere'), STATE);
    symlinkSync(join(dir, 'elsewhere'), file);
    expect(readState(file, socket).ignored).toBe(`${file} is a symlink`);
    rmSync(file);
    writeState(file, STATE);
    chmodSync(file, 0o622);
    expect(readState(file, socket).ignored).toBe(`${file} may be written by others (mode 622)`);
    chmodSync(file, 0o600);
    writeFileSync(file, '{"version": 3}');
    expect(readState(file, socket).ignored).toBe(`${file} is not a state file tend wrote`);
  });

  it.skipIf(me !== 0)('another owner: ignored', () => {
    writeState(file, STATE);
    chownSync(file, 65534, 65534);
    expect(readState(file, socket).ignored).toBe(`${file} is owned by uid 65534, not by tend's uid 0`);
  });

  it('a cgroup root that is not this socket subtree of tend: ignored; one removed since: nothing to adopt', () => {
    expect(trustedCgroupRoot('/sys/fs/cgroup/../etc', socket, me, '/sys/fs/cgroup')).toBe('is not a plain absolute path');
    expect(trustedCgroupRoot('/etc/tend-x', socket, me, '/sys/fs/cgroup')).toBe('is not under the cgroup2 mount');
    expect(trustedCgroupRoot('/sys/fs/cgroup/system.slice', socket, me, '/sys/fs/cgroup')).toBe(
      `is not named ${subtreeName(socket)} (the subtree of this socket)`,
    );
    // a directory of ours with the right name passes (a temp folder stands in for the mount)
    const root = join(dir, subtreeName(socket));
    rmSync(root, { force: true, recursive: true });
    expect(trustedCgroupRoot(root, socket, me, dir)).toBe('does not exist');
    writeState(file, { ...STATE, cgroupRoot: root });
    expect(readState(file, socket).state!.cgroupRoot).toBeNull();
  });

  it('a state from before the last boot is stale', () => {
    writeState(file, { ...STATE, boot: 'not-this-boot' });
    expect(readState(file, socket)).toEqual({ stale: `${file} is from before the last boot` });
  });
});

describe('writing', () => {
  it('never through a planted temp-file link: the link goes, its target is untouched', () => {
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious\n');
    symlinkSync(victim, `${file}.${process.pid}.tmp`);
    writeState(file, STATE);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(lstatSync(file).isFile()).toBe(true);
    expect(lstatSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8')).instances.a.pid).toBe(42);
  });
});
