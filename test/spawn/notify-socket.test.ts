// The notify socket with real senders: an sd_notify client in Python and systemd-notify, on a
// path socket and an abstract one; who may send (the registered pid, its descendants, MAINPID=),
// and what is dropped and counted (another pid, over 4 KiB).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NotifySocket, parseNotify, type NotifyFields } from '../../src/spawn/notify-socket.js';
import { sendNotify } from '../../src/sys/addon.js';
import { CLIENT, hasPython, hasSystemdNotify, PYTHON } from '../helpers/notify-senders.js';

if (!hasPython) console.log('skipping the Python sd_notify client tests: python3 is not installed');
if (!hasSystemdNotify) console.log('skipping the systemd-notify tests: systemd-notify is not installed');

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

/** Waits for `fn` to hold, polling, with a deadline. */
async function until(fn: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function socketAt(address: string): { sock: NotifySocket; drops: string[] } {
  const drops: string[] = [];
  const sock = new NotifySocket(address, (reason, m) => drops.push(`${reason}: ${m}`));
  sock.open();
  cleanup.push(() => sock.close());
  return { sock, drops };
}

/** `sh -c script` with NOTIFY_SOCKET set: the "service" whose main pid is registered. */
function service(address: string, script: string): ChildProcess {
  const c = spawn('/bin/sh', ['-c', script], {
    env: { ...process.env, NOTIFY_SOCKET: address, PY: PYTHON, CLIENT },
    stdio: 'ignore',
  });
  cleanup.push(() => c.kill('SIGKILL'));
  return c;
}

function collect(sock: NotifySocket, pid: number): NotifyFields[] {
  const got: NotifyFields[] = [];
  cleanup.push(sock.register(pid, undefined, (f) => got.push({ ...f })));
  return got;
}

describe('parseNotify', () => {
  it('splits KEY=VALUE lines; a value keeps its = signs; lines without = are skipped', () => {
    expect({ ...parseNotify('READY=1\nSTATUS=a=b c\n\nnonsense\nMAINPID=42') }).toEqual({
      READY: '1',
      STATUS: 'a=b c',
      MAINPID: '42',
    });
  });
});

describe.skipIf(!hasPython)('NotifySocket with an sd_notify client', () => {
  it('abstract socket: a child of the registered process is heard (ppid chain, no cgroup), with its fields', async () => {
    const { sock, drops } = socketAt(`@tend-test-${process.pid}-a`);
    const c = service(sock.address, '"$PY" "$CLIENT" READY=1 "STATUS=warming up"; exec sleep 100');
    const got = collect(sock, c.pid!);
    await until(() => got.length >= 1, 'the READY=1 message');
    expect(got[0]).toEqual({ READY: '1', STATUS: 'warming up' });
    expect(drops).toEqual([]);
  });

  it('path socket: made mode 0666 (a service of another user may send), removed at close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tend-notify-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const { sock } = socketAt(join(dir, 'notify.sock'));
    expect(statSync(sock.address).mode & 0o777).toBe(0o666);
    const c = service(sock.address, 'exec "$PY" "$CLIENT" READY=1 WATCHDOG=1');
    const got = collect(sock, c.pid!);
    await until(() => got.length >= 1, 'the message');
    expect(got[0]).toEqual({ READY: '1', WATCHDOG: '1' });
    sock.close();
    expect(existsSync(sock.address)).toBe(false);
  });

  it('drops and counts a message of another pid and one over 4 KiB; MAINPID= lets that pid in', async () => {
    const { sock, drops } = socketAt(`@tend-test-${process.pid}-b`);
    const c = service(sock.address, 'exec sleep 100');
    const got = collect(sock, c.pid!);
    sendNotify(sock.address, 'READY=1'); // from this test process: no service's
    await until(() => sock.dropped.foreign === 1, 'the foreign message to be counted');
    expect(drops).toEqual([
      `foreign: a message from pid ${process.pid}, which belongs to no service that uses the notify socket: dropped (later ones are only counted)`,
    ]);
    sendNotify(sock.address, 'READY=1');
    await until(() => sock.dropped.foreign === 2, 'the second to be counted');
    expect(drops).toHaveLength(1); // told once, counted always

    const big = service(
      sock.address,
      '"$PY" "$CLIENT" --size 5000 --no-barrier READY=1; "$PY" "$CLIENT" STATUS=small; exec sleep 100',
    );
    const fromBig = collect(sock, big.pid!);
    await until(() => fromBig.length >= 1, 'the small message after the big one');
    expect(sock.dropped.too_large).toBe(1);
    expect(fromBig[0]).toEqual({ STATUS: 'small' });

    // the registered process names this test process as its main pid: from then on it is heard
    expect(got).toEqual([]);
    const m = service(sock.address, `exec "$PY" "$CLIENT" MAINPID=${process.pid}`);
    cleanup.push(sock.register(m.pid!, undefined, (f) => got.push({ ...f })));
    await until(() => got.length === 1, 'the MAINPID message');
    expect(got[0]).toEqual({ MAINPID: String(process.pid) });
    sendNotify(sock.address, 'STATUS=from the main pid');
    await until(() => got.length === 2, 'the message of the new main pid');
    expect(got[1]).toEqual({ STATUS: 'from the main pid' });
    expect(sock.dropped.foreign).toBe(2);
  });
});

describe.skipIf(!hasPython)('NotifySocket, a run in a pid namespace of its own', () => {
  it('takes its MAINPID= as a pid of that namespace: the host process with that number is not let in', async () => {
    const { sock } = socketAt(`@tend-test-${process.pid}-ns`);
    const got: NotifyFields[] = [];
    // the process names this test process's pid, as a private_pids service would name its own
    const m = service(sock.address, `exec "$PY" "$CLIENT" MAINPID=${process.pid}`);
    cleanup.push(sock.register(m.pid!, undefined, (f) => got.push({ ...f }), true));
    await until(() => got.length === 1, 'the MAINPID message');
    expect(got[0]).toEqual({ MAINPID: String(process.pid) }); // delivered (recorded, shown by why)
    sendNotify(sock.address, 'READY=1');
    await until(() => sock.dropped.foreign === 1, 'the message of the host pid with that number dropped');
    expect(got).toHaveLength(1);
  });
});

describe.skipIf(!hasSystemdNotify)('NotifySocket with systemd-notify', () => {
  for (const kind of ['abstract', 'path'] as const) {
    it(`${kind} socket: systemd-notify --ready --status from the service's shell is heard, and its barrier answered`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tend-notify-'));
      cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
      const { sock, drops } = socketAt(kind === 'path' ? join(dir, 'n.sock') : `@tend-test-${process.pid}-sd`);
      const c = service(
        sock.address,
        'systemd-notify --ready "--status=up and serving" && echo ok > "$D/done"; exec sleep 100'.replace('$D', dir),
      );
      const got = collect(sock, c.pid!);
      await until(() => got.some((f) => f.READY === '1'), 'READY=1');
      expect(got.find((f) => f.READY === '1')).toMatchObject({ READY: '1', STATUS: 'up and serving' });
      // systemd-notify waits for its BARRIER=1 fd to be closed: it went on at once
      await until(() => existsSync(join(dir, 'done')), 'systemd-notify to return');
      expect(drops).toEqual([]);
    });
  }
});
