// Polled health probes (exec, tcp, http) and the timer that repeats one for one instance.
// log and fd probes are event-driven (they watch output and the notification fd), so not here.
import { connect } from 'node:net';
import { InvariantError } from '../core/errors.js';
import type { ProbeCheck, ProbeSpec } from '../core/types.js';
import { commandArgv, launch, type LaunchError, watchExit } from '../spawn/launcher.js';
import { openPipes, type Stdio } from '../spawn/stdio.js';
import { killQuiet } from '../sys/proc.js';

/** The outcome of one probe run: `message` says what was tried and what happened. */
export interface ProbeResult {
  ok: boolean;
  message: string;
}

/** Where an exec probe runs: the instance's cwd and its full environment. */
export interface ProbeContext {
  cwd: string;
  env: Record<string, string>;
}

/** Bytes of an exec probe's output kept to explain a failure. */
const OUTPUT_TAIL = 512;

/** Runs one probe once. Never throws and never rejects; a hanging probe is cut at `timeoutMs`. */
export async function runProbe(check: ProbeCheck, timeoutMs: number, ctx: ProbeContext): Promise<ProbeResult> {
  const ms = Math.max(1, Math.round(timeoutMs));
  try {
    switch (check.kind) {
      case 'exec':
        return await execProbe(check.command, ms, ctx);
      case 'tcp':
        return await tcpProbe(check.host, check.port, ms);
      case 'http':
        return await httpProbe(check.url, ms);
      default:
        return { ok: false, message: 'not a polled probe' };
    }
  } catch (err) {
    return { ok: false, message: `${check.kind} probe: ${errText(err)}` };
  }
}

/** exec: a string goes to /bin/sh -c, a list is argv; started by the launcher, as a service is.
 *  Exit 0 passes. It runs in its own process group, which is killed when it ends or times out,
 *  so a probe leaves no process behind. */
function execProbe(command: string | string[], ms: number, ctx: ProbeContext): Promise<ProbeResult> {
  const shown = typeof command === 'string' ? command : command.map(quoteArg).join(' ');
  const argv = commandArgv(command);
  if (argv.length === 0 || argv[0] === '') return Promise.resolve({ ok: false, message: `exec ${shown}: empty command` });
  return new Promise((resolve) => {
    let settled = false;
    let tail = Buffer.alloc(0);
    let exitText: string | undefined;
    let exitOk = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (ok: boolean, what: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ok, message: `exec ${shown}: ${what}` });
    };
    let closed = false; // every writer of the pipes is gone
    // the exit (from the reaper) and the end of the output come in either order
    const report = (): void => {
      if (exitText === undefined || !closed) return;
      const last = lastLine(tail);
      finish(exitOk, exitOk || last === '' ? exitText : `${exitText}: ${last}`);
    };
    let stdio: Stdio | undefined;
    let pid: number;
    try {
      stdio = openPipes();
      pid = launch({ argv, env: ctx.env, cwd: ctx.cwd, stdio });
    } catch (err) {
      stdio?.close();
      const e = err as LaunchError;
      return finish(false, e.step === 'chdir' && e.code === 'ENOENT' ? `cwd ${ctx.cwd} does not exist` : errText(err));
    }
    const killGroup = (): void => killQuiet(-pid, 'SIGKILL');
    watchExit(pid, (s) => {
      exitOk = s.code === 0;
      exitText = s.signal ? `killed by ${s.signal}` : `exit ${s.code}`;
      killGroup(); // leftovers of the probe would otherwise hold the pipes open
      report();
    });
    stdio.attach({
      write(_stream, chunk) {
        tail = Buffer.concat([tail, chunk]);
        if (tail.length > OUTPUT_TAIL) tail = tail.subarray(tail.length - OUTPUT_TAIL);
        return true;
      },
      onDrain() {},
      end() {
        closed = true;
        report();
      },
    });
    timer = setTimeout(() => {
      killGroup();
      if (exitText !== undefined)
        finish(exitOk, exitText); // exited, but a leftover held the pipes
      else finish(false, `timed out after ${ms}ms`);
    }, ms);
  });
}

/**
 * The `finish` of a network probe: the first call wins, and a call of its own ("timed out after
 * Nms", failing) comes at the deadline unless an earlier one did.
 */
function settleOnce(ms: number, done: (ok: boolean, what: string) => void): (ok: boolean, what: string) => void {
  let settled = false;
  const finish = (ok: boolean, what: string): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    done(ok, what);
  };
  const timer = setTimeout(() => finish(false, `timed out after ${ms}ms`), ms);
  return finish;
}

/** tcp: passes when a connection to host:port is established. */
function tcpProbe(host: string, port: number, ms: number): Promise<ProbeResult> {
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  return new Promise((resolve) => {
    const finish = settleOnce(ms, (ok, what) => {
      sock.destroy();
      resolve({ ok, message: `connect ${where}: ${what}` });
    });
    const sock = connect({ host, port });
    sock.on('connect', () => finish(true, 'connected'));
    sock.on('error', (err) => finish(false, errText(err)));
  });
}

/** http: a GET without redirects; a 2xx or 3xx status passes. Like Kubernetes, an https probe
 *  does not verify the certificate: it checks that the service answers, nothing is sent. */
async function httpProbe(url: string, ms: number): Promise<ProbeResult> {
  const fail = (what: string): ProbeResult => ({ ok: false, message: `GET ${url}: ${what}` });
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return fail('invalid URL');
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return fail(`unsupported protocol ${target.protocol}`);
  const lib = target.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise((resolve) => {
    const finish = settleOnce(ms, (ok, what) => {
      req.destroy();
      resolve({ ok, message: `GET ${url}: ${what}` });
    });
    const req = lib.get(target, {
      agent: false,
      headers: { 'user-agent': 'tend-probe', connection: 'close' },
      rejectUnauthorized: false,
    });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      finish(status >= 200 && status < 400, String(status));
    });
    req.on('error', (err) => finish(false, errText(err)));
  });
}

/** A result of ProbeRunner: the probe's result plus the failures in a row so far. */
export interface ProbeRunResult extends ProbeResult {
  consecutiveFailures: number;
}

/** Repeats one polled probe for one instance: first after initialDelay, then `interval` after the
 *  previous run finished (runs never overlap). Timers are unref'd: probes never keep tend alive. */
export class ProbeRunner {
  private timer: NodeJS.Timeout | undefined;
  private generation = 0;
  private running = false;
  private failures = 0;

  constructor(
    private readonly spec: ProbeSpec,
    private readonly ctx: ProbeContext,
    private readonly onResult: (r: ProbeRunResult) => void,
  ) {
    if (spec.check.kind === 'log' || spec.check.kind === 'fd') {
      throw new InvariantError(`ProbeRunner: a ${spec.check.kind} probe is event-driven, not polled`);
    }
  }

  /** Starts (or restarts, from zero failures) the schedule. */
  start(): void {
    this.stop();
    this.running = true;
    this.failures = 0;
    this.schedule(this.spec.initialDelay, this.generation);
  }

  /** Stops the schedule; a run in flight finishes but its result is dropped. */
  stop(): void {
    this.running = false;
    this.generation++;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(delay: number, gen: number): void {
    this.timer = setTimeout(() => void this.tick(gen), Math.max(0, delay));
    this.timer.unref();
  }

  private async tick(gen: number): Promise<void> {
    this.timer = undefined;
    const r = await runProbe(this.spec.check, this.spec.timeout, this.ctx);
    if (!this.running || gen !== this.generation) return;
    this.failures = r.ok ? 0 : this.failures + 1;
    this.onResult({ ok: r.ok, message: r.message, consecutiveFailures: this.failures });
    if (this.running && gen === this.generation) this.schedule(this.spec.interval, gen);
  }
}

function quoteArg(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a);
}

/** The last non-empty line of some output, at most 200 characters. */
function lastLine(buf: Buffer): string {
  const lines = buf
    .toString('utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const last = lines[lines.length - 1] ?? '';
  return last.length > 200 ? `${last.slice(0, 197)}...` : last;
}

/** An error's code (ECONNREFUSED, ENOENT...) when it has one, else its message. */
function errText(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown };
    if (typeof e.code === 'string' && e.code !== '') {
      // a spawn error says which file: keep the message ("spawn nosuch ENOENT")
      return typeof e.message === 'string' && e.message.startsWith('spawn ') ? e.message : e.code;
    }
    if (typeof e.message === 'string') return e.message;
  }
  return String(err);
}
