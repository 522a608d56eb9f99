// Real processes for the benchmarks: the CLI run to completion with its wall time, /proc readers,
// and a registry of everything started so that an interrupted bench still ends it (by pid).
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { CLI } from './util.js';

const started = new Set(); // { pid, descendants(): number[] } of live things we started

/** Why: cleanup on Ctrl-C or a crash of the bench; kills only what this bench started. */
export function track(entry) {
  started.add(entry);
  return () => started.delete(entry);
}

/** SIGKILLs everything still tracked (and its descendants), by pid. Synchronous: usable in 'exit'. */
export function killTracked() {
  for (const e of started) {
    const pids = [...safeDescendants(e.pid), e.pid];
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
  }
  started.clear();
}

function safeDescendants(pid) {
  try {
    return descendants(pid);
  } catch {
    return [];
  }
}

/** Every descendant pid of `pid` (children of all its threads, recursively). */
export function descendants(pid) {
  const out = [];
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop();
    let tasks = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const t of tasks) {
      let kids = '';
      try {
        kids = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8');
      } catch {}
      for (const k of kids.split(' ').filter(Boolean).map(Number)) {
        out.push(k);
        stack.push(k);
      }
    }
  }
  return out;
}

/** true when a pid exists and is not a zombie. */
export function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

let clkTck;
/** Clock ticks a second (for /proc/PID/stat times). */
export function clockTicks() {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** Clock ticks of CPU (utime + stime) a process has used itself, children not included. */
export function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields after the comm: [0] state ... utime is field 14 overall -> index 11 here, stime 12
  return Number(f[11]) + Number(f[12]);
}

/**
 * CPU seconds used between two cpuTicks readings. Ticks are subtracted as integers: subtracting
 * seconds (0.27 - 0.25) gives 0.0199999... for two ticks, which would pass a "< 0.02" target.
 */
export function ticksToSeconds(ticks) {
  return ticks / clockTicks();
}

/** A field of /proc/PID/status in MB (VmRSS, VmHWM, ...). */
export function statusMb(pid, field) {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  if (!m) throw new Error(`/proc/${pid}/status has no ${field}`);
  return Number(m[1]) / 1024;
}

/**
 * Runs a command to completion; resolves { code, stdout, stderr, ms } where ms is the wall time
 * from spawn to exit. Killed (and rejected) at the deadline.
 */
export function run(cmd, args, { cwd, env, timeoutMs = 30_000 } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const untrack = track({ pid: child.pid });
    let stdout = '';
    let stderr = '';
    let ms;
    child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} timed out after ${timeoutMs} ms; stderr: ${stderr.slice(-500)}`));
    }, timeoutMs);
    child.on('exit', () => (ms = performance.now() - t0));
    child.on('error', (e) => {
      clearTimeout(timer);
      untrack();
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      untrack();
      resolve({ code, stdout, stderr, ms: ms ?? performance.now() - t0 });
    });
  });
}

/** Runs the tend CLI (the built dist/tend.cjs) to completion. */
export function tend(args, opts = {}) {
  return run(process.execPath, [CLI, ...args], opts);
}
