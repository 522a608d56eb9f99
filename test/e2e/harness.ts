// End-to-end helpers: a temp project, the built `tend` binary, waits on conditions with deadlines.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { connect } from '../../src/control/client.js';

export const CLI = fileURLToPath(new URL('../../dist/tend.cjs', import.meta.url));

/** Polls `fn` until it returns a truthy value; throws with `what` at the deadline. */
export async function waitFor<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<Awaited<T>>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<Awaited<T>>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** One journal entry as `tend events --json` gives it. */
export interface JournalEvent {
  time: string;
  service: string;
  what: string;
  why: string;
  state?: string;
}

/** What a test file's projects share: closed after the test, their stderr shown when it failed. */
interface Closable {
  readonly dir: string;
  readonly err: string;
  close(): Promise<void>;
}

/**
 * The projects of one test file: `track` (or `project`, for a plain Project) registers one; after
 * each test every one is closed, and when the test failed, what each `tend up` said is printed.
 * `started` is `project` with its `tend up` started and answering.
 */
export function useProjects(): {
  track<P extends Closable>(p: P): P;
  project(yaml: string, files?: Record<string, string>): Project;
  started(yaml: string, files?: Record<string, string>): Promise<Project>;
} {
  let open: Closable[] = [];
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') for (const p of open) console.log(`tend up stderr (${p.dir}):\n${p.err}`);
    const now = open;
    open = [];
    await Promise.all(now.map((p) => p.close()));
  });
  const track = <P extends Closable>(p: P): P => {
    open.push(p);
    return p;
  };
  const project = (yaml: string, files?: Record<string, string>): Project => track(new Project(yaml, files));
  const started = async (yaml: string, files?: Record<string, string>): Promise<Project> => {
    const p = project(yaml, files);
    await p.up();
    return p;
  };
  return { track, project, started };
}

/** A config of `services` (the YAML under `services:`) with the echo and the file watch off. */
export function quiet(services: string): string {
  return `settings: { echo: false, watch: false }\nservices:${services}`;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the tend CLI to completion. */
export function tend(
  cwd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; as?: readonly string[] } = {},
): Promise<RunResult> {
  return new Promise((res, rej) => {
    // as: run as another user, through setpriv(1) with these options
    const argv = [process.execPath, CLI, ...args];
    const child = spawn(opts.as ? 'setpriv' : argv[0]!, opts.as ? [...opts.as, ...argv] : argv.slice(1), {
      cwd,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`tend ${args.join(' ')} timed out; stdout: ${stdout} stderr: ${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    child.on('close', (code) => {
      clearTimeout(t);
      res({ code, stdout, stderr });
    });
  });
}

/**
 * The daemon's own garbage collections so far (native/gc.cc: a "memory pressure" Mark-Compact), in
 * the stdout of a daemon started with node's --trace-gc (settings.echo: false keeps stdout to V8).
 * One request may run a second collection at once when the first left much garbage (gc.cc), so a
 * collection that starts within 50 ms of the previous one's end counts as the same request.
 */
export function ownGcs(out: string): number {
  let count = 0;
  let end = Number.NEGATIVE_INFINITY;
  for (const line of out.split('\n')) {
    const m = /(\d+) ms: Mark-Compact.*?, ([\d.]+) \/ [\d.]+ ms .*memory pressure/.exec(line);
    if (!m) continue;
    const start = Number(m[1]);
    if (start > end + 50) count++;
    end = start + Number(m[2]);
  }
  return count;
}

export class Project {
  readonly dir: string;
  daemon: ChildProcess | undefined;
  out = '';
  err = '';
  exit: Promise<number | null> | undefined;

  constructor(yaml: string, files: Record<string, string> = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'tend-e2e-'));
    this.write(yaml);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(this.dir, name), text);
  }

  write(yaml: string): void {
    writeFileSync(join(this.dir, 'tend.yaml'), yaml);
  }

  get socket(): string {
    return join(this.dir, '.tend/tend.sock');
  }

  /** Starts `tend up` (node given `nodeArgs`) and waits until its socket answers. */
  async up(args: string[] = [], env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = []): Promise<void> {
    await this.launch(
      process.execPath,
      [...nodeArgs, CLI, 'up', ...args],
      env,
      'the daemon socket',
      async () => (await this.ask('status', {})) !== undefined,
    );
  }

  /**
   * Starts the daemon as `command argv` in the project's folder, keeps what it prints, and waits
   * until its socket exists and `answers` (what: the wait's name). Fails when it exits first.
   */
  protected async launch(
    command: string,
    argv: string[],
    env: NodeJS.ProcessEnv,
    what: string,
    answers: () => Promise<boolean>,
  ): Promise<void> {
    const child = spawn(command, argv, {
      cwd: this.dir,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.daemon = child;
    child.stdout!.on('data', (c) => (this.out += c));
    child.stderr!.on('data', (c) => (this.err += c));
    this.exit = new Promise((r) => child.on('exit', (code) => r(code)));
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`tend up exited ${child.exitCode}: ${this.err}`);
        return existsSync(this.socket) && (await answers());
      },
      what,
      60_000,
    ); // generous: a loaded machine, or a config of 1 MiB to parse
  }

  /** the environment of every one-shot command this project runs (e.g. TEND_SOCKET) */
  clientEnv: NodeJS.ProcessEnv = {};

  run(args: string[], env?: NodeJS.ProcessEnv): Promise<RunResult> {
    return tend(this.dir, args, { env: { ...this.clientEnv, ...env } });
  }

  /**
   * One request on the project's socket from this process, for the waits of the tests: a poll
   * that started a `tend` process every 25 ms kept the CPU busy with node start-ups. undefined
   * when the socket is elsewhere (settings.socket) or does not answer: the caller runs the CLI.
   */
  private ask(cmd: string, args: Record<string, unknown>): Promise<any> {
    return askDaemon(this.clientEnv.TEND_SOCKET ?? this.socket, cmd, args);
  }

  async status(): Promise<Array<Record<string, any>>> {
    const asked = await this.ask('status', {});
    if (asked !== undefined) return asked.services;
    const r = await this.run(['status', '--json']);
    if (r.code !== 0) throw new Error(`status failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  async state(name: string): Promise<string | undefined> {
    return (await this.status()).find((s) => s.name === name)?.state;
  }

  /** The journal, oldest first (its last n entries). */
  async events(n = 10_000): Promise<JournalEvent[]> {
    const asked = await this.ask('events', { lines: n });
    if (asked !== undefined) return asked.events;
    const r = await this.run(['events', '-n', String(n), '--json']);
    if (r.code !== 0) throw new Error(`events failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  async waitState(name: string, state: string, timeoutMs = 10_000): Promise<void> {
    await waitFor(async () => (await this.state(name)) === state, `${name} to be ${state}`, timeoutMs);
  }

  /**
   * Stops the daemon (SIGTERM, then SIGKILL at the deadline) and removes the folder. Services
   * that outlive a daemon killed here (each leads its own process group) are killed by group.
   */
  async close(): Promise<void> {
    const d = this.daemon;
    if (d && d.exitCode === null && d.signalCode === null) {
      let leaders: number[] = [];
      try {
        leaders = (await this.status()).map((r) => r.pid).filter((x): x is number => typeof x === 'number');
      } catch {
        // the daemon does not answer: nothing to remember
      }
      d.kill('SIGTERM');
      const t = setTimeout(() => d.kill('SIGKILL'), 15_000);
      await this.exit;
      clearTimeout(t);
      for (const pid of leaders) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // gone with the daemon, as it should be
        }
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * One request on the daemon socket at `path` from this process (its reply's result), or undefined
 * when there is no socket there or it does not answer. For the waits of the tests, which need no
 * node start of the CLI each time they look.
 */
export async function askDaemon(path: string, cmd: string, args: Record<string, unknown>): Promise<any> {
  if (!existsSync(path)) return undefined;
  let c;
  try {
    c = await connect(path, { timeoutMs: 10_000 });
  } catch {
    return undefined;
  }
  try {
    return await (c as unknown as { request(cmd: string, args: unknown): Promise<unknown> }).request(cmd, args);
  } finally {
    c.close();
  }
}

/** true when a pid is alive (and not a zombie). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** A running `tend ... -f`: its stdout lines so far, its stderr, its process. */
export interface Follower {
  lines(): string[];
  /** [arrival ms, line] of every complete line so far (for latencies) */
  timed(): Array<[number, string]>;
  /** the lines and the stderr, for a wait's message */
  text(): string;
  err(): string;
  /** its exit code once it has ended and all its output is read ('close': 'exit' can come first) */
  ended: Promise<number | null>;
  proc: ChildProcess;
}

/** The whole numbers from..to. */
export const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, k) => from + k);

/** `tend ... -f` processes for a test file, killed after each test (the built CLI, in the project's folder). */
export function useFollowers(): (p: { dir: string }, args: string[]) => Follower {
  let children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    children = [];
  });
  return (p, args) => {
    const proc = spawn(process.execPath, [CLI, ...args], {
      cwd: p.dir,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(proc);
    const ended = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
    let buf = '';
    let err = '';
    const got: string[] = [];
    const at: number[] = [];
    proc.stdout!.on('data', (c: Buffer) => {
      const now = Date.now();
      buf += c.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) !== -1) {
        got.push(buf.slice(0, nl));
        at.push(now);
        buf = buf.slice(nl + 1);
      }
    });
    proc.stderr!.on('data', (c) => (err += c));
    return {
      lines: () => got,
      timed: () => got.map((l, k) => [at[k]!, l]),
      text: () => got.join('\n') + (err ? `\n[stderr] ${err}` : ''),
      err: () => err,
      ended,
      proc,
    };
  };
}
