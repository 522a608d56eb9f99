// A config at the size limit (1 MiB) with the built binary (issue 13): its parse takes seconds,
// and while a reload parses it the daemon goes on answering (the parse runs in a worker thread,
// config/on-demand.ts), which ends after it: the daemon's threads and memory are as before.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ownGcs, tend, useProjects, waitFor } from './harness.js';

const { project, started } = useProjects();
let closers: Array<() => void> = [];
afterEach(() => {
  for (const c of closers) c();
  closers = [];
});

const SERVICES = 64;
const HEAD = 'settings:\n  echo: false\n  watch: false\nservices:\n';

/**
 * 64 services of 900 variables each: ~0.95 MiB, every service stopped. The alias makes the
 * incremental path decline (it takes only plain layouts), so every reload is a full parse: ~1.5 s
 * on an idle machine, several on a loaded one.
 */
function bigConfig(tag: string): string {
  let out = HEAD;
  for (let i = 0; i < SERVICES; i++) {
    out += `  s${i}:\n    command: sleep 1000\n    autostart: ${i === 0 ? '&off false' : '*off'}\n    env:\n`;
    for (let k = 0; k < 900; k++) out += `      K${k}: ${tag}${k}\n`;
  }
  return out;
}

/** The same services, small (what the daemon starts with). */
const smallConfig =
  HEAD + Array.from({ length: SERVICES }, (_, i) => `  s${i}:\n    command: sleep 1000\n    autostart: false\n`).join('');

/** A line of /proc/PID/status, as a number (VmRSS in kB, Threads). */
function procStatus(pid: number, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]);
}

/** One request on a connection of its own; resolves with the reply frame, the items of its parts put back. */
function request(path: string, frame: object): Promise<Record<string, any>> {
  const parts: Record<string, unknown[]> = {};
  return new Promise((resolve, reject) => {
    const socket = net.connect(path);
    closers.push(() => socket.destroy());
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('connect', () => socket.write(`${JSON.stringify(frame)}\n`));
    socket.on('data', (s: string) => {
      buf += s;
      let nl: number;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const f = JSON.parse(buf.slice(0, nl)) as Record<string, any>;
        buf = buf.slice(nl + 1);
        if (f.part)
          for (const [k, items] of Object.entries(f.part as Record<string, unknown[]>)) (parts[k] ??= []).push(...items);
        if ('ok' in f) {
          for (const [k, items] of Object.entries(parts)) f.result[k] = [...items, ...(f.result[k] ?? [])];
          resolve(f);
          socket.destroy();
        }
      }
    });
  });
}

/**
 * A status request run again and again (50 ms apart), each on a connection of its own as `tend
 * status` makes one; each one's start, end and whether it was answered ok kept. (It was `tend
 * status` itself: a node start each, ~20 of them, competing for the CPU with the parse they wait
 * on; what is asked of the daemon is the same request.)
 */
function pollStatus(path: string): { runs: Array<{ start: number; end: number; ok: boolean }>; stop(): Promise<void> } {
  const runs: Array<{ start: number; end: number; ok: boolean }> = [];
  let stopped = false;
  let id = 100;
  const loop = (async () => {
    while (!stopped) {
      const start = performance.now();
      const reply = await request(path, { id: id++, cmd: 'status', args: {} }).catch(() => ({ ok: false }));
      runs.push({ start, end: performance.now(), ok: reply.ok === true });
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    runs,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

describe('a config of 1 MiB', () => {
  it('a live reload of it: status requests are answered while it is parsed; the parse leaves no thread or memory behind', async () => {
    const p = project(smallConfig);
    await p.up([], {}, ['--trace-gc']);
    const pid = p.daemon!.pid!;
    // the daemon's threads and memory once start-up has settled: its garbage collected (the
    // collection after the parse, then the one once start-up settled)
    await waitFor(() => ownGcs(p.out) >= 2, "start-up's garbage collections");
    const threads = procStatus(pid, 'Threads');
    const rssBefore = procStatus(pid, 'VmRSS') / 1024;

    p.write(bigConfig('a'));
    expect(statSync(join(p.dir, 'tend.yaml')).size).toBeGreaterThan(900 * 1024);
    const poll = pollStatus(p.socket);
    await waitFor(() => poll.runs.length >= 2, 'status to answer');
    const sent = performance.now();
    const reply = await request(p.socket, { id: 1, cmd: 'reload', args: { dry_run: false } });
    const answered = performance.now();
    await poll.stop();

    expect(reply.ok).toBe(true);
    expect(reply.result.changed).toHaveLength(SERVICES);
    // a line of the plan names ten keys, then how many more; the journal keeps 20 lines of it
    // (the services are stopped: the change waits for their next start)
    expect(reply.result.text.split('\n')[0]).toMatch(
      /^~ s0 \((env\.K\d+, ){9}env\.K\d+ and 890 more; not restarted: it is stopped \(tend start s0\)\)$/,
    );
    const entry = (await p.events(20)).filter((e) => e.what === 'reload').at(-1)!;
    expect(entry.why.split(/; (?=~ |and \d+ more lines$)/)).toHaveLength(20);
    expect(entry.why).toMatch(/^on request: ~ s0 \(.*; and 46 more lines$/);
    expect(poll.runs.every((r) => r.ok)).toBe(true);
    // runs begun after the reload was asked for and done before it was answered: in the daemon's
    // own thread the parse would hold every one of them until it is over (none at all)
    const during = poll.runs.filter((r) => r.start > sent && r.end < answered);
    console.log(`reload of 1 MiB: ${(answered - sent).toFixed(0)} ms; status answered ${during.length} times meanwhile`);
    expect(during.length).toBeGreaterThanOrEqual(3);

    // the worker has ended, and what the parse took is given back (1 s after the reload)
    await waitFor(() => procStatus(pid, 'Threads') <= threads, `the daemon's threads back to ${threads}`, 30_000);
    await waitFor(
      () => procStatus(pid, 'VmRSS') / 1024 < rssBefore + 40,
      `the daemon's RSS back within 40 MB of ${rssBefore.toFixed(0)} MB (the parse takes ~200 MB)`,
      30_000,
    );
    console.log(`daemon RSS: ${rssBefore.toFixed(0)} MB before, ${(procStatus(pid, 'VmRSS') / 1024).toFixed(0)} MB after`);
    const st = await p.status();
    expect(st).toHaveLength(SERVICES);
    expect(st.every((s) => s.state === 'stopped')).toBe(true);
  }, 180_000);

  it('`tend up` with it starts, and a dry-run reload of the same file finds nothing changed', async () => {
    const p = await started(bigConfig('b'));
    expect(await p.status()).toHaveLength(SERVICES);
    const r = await tend(p.dir, ['reload', '--dry-run'], { timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^the running config already matches tend\.yaml/);
    expect(r.stdout).toContain(`= ${SERVICES} unchanged`);
  }, 180_000);
});
