// The native addon: child subreaper + reaping (every child, or only the launched ones, which
// never steals node's exit statuses; run in a separate node process), and SO_PEERCRED on real
// unix sockets.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addonError, getPeerCred, reap } from '../../src/sys/addon.js';
import { runFixture } from './fixtures/run.js';

function fdOf(sock: Socket): number {
  return (sock as unknown as { _handle: { fd: number } })._handle.fd;
}

describe('native addon', () => {
  it('is built and loads', () => {
    expect(addonError).toBeUndefined();
  });

  it('rejects a bad list of pids to reap', () => {
    expect(() => reap(['x'] as unknown as number[])).toThrow(/numbers only/);
    expect(() => reap(new Float64Array(1) as unknown as Int32Array)).toThrow(/Int32Array/);
  });

  interface ReaperReport {
    subreaper: boolean;
    hostZombieWasZ: boolean;
    hostExit: number | null;
    launchedExit: { code?: number; signal?: string };
    exits: Array<{ want: number; code: number | null; signal: string | null }>;
    orphans: number;
    waiting: number;
    zombies: number;
    timedOut: boolean;
  }

  // Runs fixtures/reaper-child.ts in its own node process and checks its report.
  async function reaperRun(children: number, per: number, mode = ''): Promise<void> {
    const r = await runFixture<ReaperReport>('reaper-child.ts', [String(children), String(per), mode]);
    expect(r.subreaper).toBe(true);
    // by default only launched children are reaped: a zombie of child_process is left to libuv,
    // whose 'exit' then carries the code
    expect(r.hostZombieWasZ).toBe(true);
    expect(r.hostExit).toBe(5);
    expect(r.launchedExit).toEqual({ code: 6 });
    expect(r.timedOut).toBe(false);
    expect(r.exits).toHaveLength(children);
    for (const e of r.exits) expect(e).toEqual({ want: e.want, code: e.want, signal: null });
    expect(r.orphans).toBe(children * per); // orphans reparented to us (subreaper) and reaped
    expect(r.waiting).toBe(0);
    expect(r.zombies).toBe(0);
  }

  it('reaps 1,000 orphans while 100 launched children all report their exit codes', async () => {
    await reaperRun(100, 10);
  }, 60_000);

  it('does the same through the /proc/<pid>/stat scan', async () => {
    await reaperRun(20, 10, 'scan');
  }, 60_000);
});

const GLIBC = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime;
if (!GLIBC) console.log("skipping the trimMalloc test: not a glibc system (malloc_trim is glibc's; tend does without it)");

describe('trimMalloc', () => {
  it.skipIf(!GLIBC)(
    'gives freed C heap memory back to the kernel (a fresh node: ~80 MB of small buffers, freed, then trimmed)',
    () => {
      const addon = join(import.meta.dirname, '../../native/build/Release/tend_native.node');
      const script = `
      const addon = require(${JSON.stringify(addon)});
      const anon = () => +require('fs').readFileSync('/proc/self/status', 'utf8').match(/RssAnon:\\s+(\\d+)/)[1] / 1024;
      let keep = [];
      for (let i = 0; i < 40000; i++) keep.push(Buffer.allocUnsafeSlow(2048));
      keep = null;
      gc(); gc();
      const freed = anon();
      const released = addon.trimMalloc();
      console.log(JSON.stringify({ freed, released, trimmed: anon() }));`;
      const r = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      const { freed, released, trimmed } = JSON.parse(r.stdout) as { freed: number; released: boolean; trimmed: number };
      // the buffers are garbage but glibc kept their memory: freed is still high
      expect(freed).toBeGreaterThan(60);
      expect(released).toBe(true);
      expect(freed - trimmed).toBeGreaterThan(50);
    },
  );
});

describe('dropCodePages', () => {
  it('unmaps code and read-only data of files, none of the pages of its own: the process runs on, RssFile falls', () => {
    const addon = join(import.meta.dirname, '../../native/build/Release/tend_native.node');
    // Read-only mappings that hold pages of the process's own must stay: RELRO (the libraries'
    // pointer tables, relocated, then made read-only) dropped would be read back unrelocated from
    // the file, and the calls after the drop would crash (checked: with the Anonymous test left
    // out, the child dies).
    const script = `
      const fs = require('fs');
      const addon = require(${JSON.stringify(addon)});
      const rssFile = () => +fs.readFileSync('/proc/self/status', 'utf8').match(/RssFile:\\s+(\\d+)/)[1];
      require('node:zlib'); require('node:http'); // code run once
      const before = rssFile();
      const dropped = addon.dropCodePages();
      const after = rssFile();
      // the process goes on: code runs again (mapped again), new code loads, the addon answers
      const ok = JSON.stringify(require('node:url').parse('http://x/y?z=1').query) === '"z=1"' &&
        require('node:crypto').createHash('sha256').digest('hex') === 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' &&
        addon.dropCodePages() >= 0;
      console.log(JSON.stringify({ before, dropped, after, ok }));`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const { before, dropped, after, ok } = JSON.parse(r.stdout) as {
      before: number;
      dropped: number;
      after: number;
      ok: boolean;
    };
    expect(ok).toBe(true);
    // node's own binary is tens of MB mapped after start-up; most of it goes
    expect(dropped).toBeGreaterThan(4 * 1024 * 1024);
    expect(after).toBeLessThan(before - 4 * 1024);
  });
});

describe('getPeerCred', () => {
  let dir: string;
  let server: Server | undefined;
  const peers: Socket[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tend-peercred-'));
  });

  afterEach(async () => {
    for (const p of peers.splice(0)) p.destroy();
    if (server) await new Promise((r) => server!.close(r));
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  // Listens on a unix socket; resolves each accepted connection's peer credentials.
  async function listen(path: string): Promise<() => Promise<{ pid: number; uid: number; gid: number }>> {
    const creds: Array<{ pid: number; uid: number; gid: number }> = [];
    const waiters: Array<() => void> = [];
    server = createServer((sock) => {
      peers.push(sock);
      creds.push(getPeerCred(fdOf(sock)));
      waiters.splice(0).forEach((w) => w());
    });
    await new Promise<void>((r) => server!.listen(path, r));
    return async () => {
      const deadline = Date.now() + 10_000;
      while (creds.length === 0) {
        if (Date.now() > deadline) throw new Error('no connection within 10 s');
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
      return creds.shift()!;
    };
  }

  it('returns our own pid, uid and gid for a connection from this process', async () => {
    const path = join(dir, 's.sock');
    const next = await listen(path);
    const { connect } = await import('node:net');
    const client = connect(path);
    peers.push(client);
    expect(await next()).toEqual({ pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
  });

  it('returns the peer process, not us, and its uid (setpriv to 65534)', async () => {
    const path = join(dir, 's.sock');
    const next = await listen(path);
    const script = `require('net').connect(${JSON.stringify(path)}).on('connect', () => setTimeout(() => process.exit(0), 300))`;
    const asRoot = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;
    if (asRoot) {
      chmodSync(dir, 0o755);
      chmodSync(path, 0o777);
    } else {
      console.log('skip part: connecting as uid 65534 needs root and setpriv');
    }
    const argv = asRoot
      ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', script]
      : [process.execPath, '-e', script];
    const child = spawn(argv[0], argv.slice(1), { stdio: 'ignore' });
    const cred = await next();
    await new Promise((r) => child.on('exit', r));
    expect(cred.pid).toBe(child.pid); // setpriv execs node in place: same pid
    expect(cred.uid).toBe(asRoot ? 65534 : process.getuid!());
    expect(cred.gid).toBe(asRoot ? 65534 : process.getgid!());
  });

  it('names the fd and the reason when the fd is not a socket', () => {
    const fd = openSync(join(dir, 'f'), 'w');
    try {
      expect(() => getPeerCred(fd)).toThrow(new RegExp(`getsockopt\\(fd ${fd}, SO_PEERCRED\\): Socket operation on non-socket`));
    } finally {
      closeSync(fd);
    }
    expect(() => getPeerCred(-1)).toThrow(/expected a file descriptor/);
  });
});
