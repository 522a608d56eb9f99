// A `tend up` under test: spawned with its spawn time recorded, its stderr state lines
// ("HH:MM:SS.mmm NAME STATE why") timestamped on arrival, and stopped by pid with a deadline.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { alive, descendants, track } from './proc.js';
import { Conn } from './socket.js';
import { CLI, waitFor } from './util.js';

const STATE_LINE = /^(\d\d:\d\d:\d\d\.\d{3}) (\S+) (pending|starting|running|stopping|stopped|backoff|completed|failed)\b ?(.*)$/;

/** Why: one place that knows how to start, watch and end the daemon the benchmarks measure. */
export class Daemon {
  /** every stderr line: { at (performance.now()), text, time, name, state, why } */
  lines = [];
  /** name -> latest state seen on stderr */
  states = new Map();
  stdoutBytes = 0;
  #waiters = new Set();
  #buf = '';

  constructor(dir, config) {
    this.dir = dir;
    this.config = config;
    this.socket = join(dir, '.tend/tend.sock');
  }

  /** Spawns `tend up -c CONFIG`; `spawnedAt` is performance.now() just before the spawn. */
  start() {
    this.spawnedAt = performance.now();
    const child = spawn(
      process.execPath,
      [...(process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : []), CLI, 'up', '-c', this.config],
      {
        cwd: this.dir,
        env: { ...process.env, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    this.pid = child.pid;
    this.untrack = track({ pid: child.pid });
    child.stdout.on('data', (c) => (this.stdoutBytes += c.length));
    child.stderr.setEncoding('utf8').on('data', (c) => this.#stderr(c));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, at: performance.now() })));
    this.exited.then(() => this.#notify());
    return this;
  }

  #stderr(chunk) {
    const at = performance.now();
    this.#buf += chunk;
    for (let i = this.#buf.indexOf('\n'); i !== -1; i = this.#buf.indexOf('\n')) {
      const text = this.#buf.slice(0, i);
      this.#buf = this.#buf.slice(i + 1);
      const m = STATE_LINE.exec(text);
      const line = m ? { at, text, time: m[1], name: m[2], state: m[3], why: m[4] } : { at, text };
      this.lines.push(line);
      if (m) this.states.set(m[2], m[3]);
    }
    this.#notify();
  }

  #notify() {
    for (const w of this.#waiters) w();
  }

  get running() {
    return this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Resolves with the first stderr line from index `from` on that satisfies `pred`; rejects at the
   * deadline or when the daemon exits first.
   */
  waitLine(pred, { from = 0, timeoutMs = 30_000, what = 'a stderr line' } = {}) {
    return new Promise((resolve, reject) => {
      let k = from;
      const check = () => {
        for (; k < this.lines.length; k++) {
          if (pred(this.lines[k])) return done(null, this.lines[k]);
        }
        if (!this.running) done(new Error(`tend up exited before ${what}; stderr tail: ${this.tail()}`));
      };
      const t = setTimeout(
        () => done(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; stderr tail: ${this.tail()}`)),
        timeoutMs,
      );
      const done = (err, v) => {
        clearTimeout(t);
        this.#waiters.delete(check);
        if (err) reject(err);
        else resolve(v);
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** Resolves with the arrival time of the line that made `count` services (of `names`, if given) be in `state` at once. */
  waitAll(state, count, { from = 0, timeoutMs = 60_000, names } = {}) {
    const now = new Map();
    let n = 0;
    return this.waitLine(
      (l) => {
        if (!l.state || (names && !names.has(l.name))) return false;
        const was = now.get(l.name) === state;
        const is = l.state === state;
        now.set(l.name, l.state);
        n += (is ? 1 : 0) - (was ? 1 : 0);
        return n >= count;
      },
      { from, timeoutMs, what: `${count} services ${state}` },
    );
  }

  /** Waits until the socket answers; returns an open connection. */
  async connect(timeoutMs = 15_000) {
    return waitFor(
      async () => {
        if (!this.running) throw new Error(`tend up exited: ${this.tail()}`);
        if (!existsSync(this.socket)) return undefined;
        return Conn.open(this.socket, 2000);
      },
      `the daemon socket ${this.socket}`,
      timeoutMs,
      10,
    );
  }

  tail(n = 5) {
    return this.lines
      .slice(-n)
      .map((l) => l.text)
      .join(' | ');
  }

  /**
   * SIGTERM, wait for the exit (SIGKILL at the deadline), then SIGKILL any service process that
   * outlived it. Resolves { ms, leaked } (ms: SIGTERM to exit; leaked: pids that had to be killed).
   */
  async stop(timeoutMs = 30_000) {
    if (!this.child) return { ms: 0, leaked: [] };
    const kids = this.running ? descendants(this.pid) : [];
    const t0 = performance.now();
    let forced = false;
    if (this.running) {
      this.child.kill('SIGTERM');
      const t = setTimeout(() => {
        forced = true;
        this.child.kill('SIGKILL');
      }, timeoutMs);
      await this.exited;
      clearTimeout(t);
    }
    const ms = (await this.exited).at - t0;
    const leaked = [];
    for (const pid of kids) {
      if (alive(pid)) {
        leaked.push(pid);
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
    }
    this.untrack();
    return { ms, leaked, forced };
  }
}
