// PID 1 / child subreaper duty at shutdown: every descendant goes, not only the services.
import { readFileSync } from 'node:fs';
import { childPids, killQuiet as signal, pidAlive as alive } from '../sys/proc.js';

/** How long orphans may take to end at their SIGTERM before tend says whom it waits for. */
const QUIET_WAIT_MS = 1000;

/** `pid 812 (sleep), pid 813 (python3)`, at most 5 named. */
function named(pids: readonly number[]): string {
  const comm = (p: number): string => {
    try {
      return readFileSync(`/proc/${p}/comm`, 'utf8').trim();
    } catch {
      return '?';
    }
  };
  const shown = pids.slice(0, 5).map((p) => `pid ${p} (${comm(p)})`);
  return pids.length > 5 ? `${shown.join(', ')} and ${pids.length - 5} more` : shown.join(', ');
}

/**
 * SIGTERM to every remaining child (orphans reparented to us), SIGKILL at the deadline. A child
 * reparented to tend meanwhile (the child of an orphan that ended or was killed) gets the same:
 * SIGTERM when first seen before the deadline, SIGKILL after it, so that tend's exit keeps to
 * shutdown_timeout with grandchildren too (before, it waited a second on them, and they outlived it).
 * `say`: told whom tend still waits for after QUIET_WAIT_MS, and whom it kills at the bound (a
 * wait in silence looked like a hang).
 */
export async function reapDescendants(
  reaper: { reapNow(): unknown },
  ms: number,
  say: (line: string) => void = () => {},
): Promise<void> {
  const others = (): number[] => childPids().filter((p) => alive(p));
  let left = others();
  if (left.length === 0) return;
  const termed = new Set<number>();
  const term = (pids: number[]): void => {
    for (const p of pids) {
      if (termed.has(p)) continue;
      termed.add(p);
      signal(p, 'SIGTERM');
    }
  };
  term(left);
  const start = Date.now();
  const end = start + ms;
  let told = false;
  while (left.length && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 20));
    reaper.reapNow();
    left = others();
    term(left);
    if (!told && left.length && Date.now() - start >= QUIET_WAIT_MS && Date.now() < end) {
      told = true;
      say(`processes left behind by services still running after SIGTERM: ${named(left)}; SIGKILL at shutdown_timeout`);
    }
  }
  if (left.length) say(`processes left behind by services still running at shutdown_timeout: SIGKILL to ${named(left)}`);
  const end2 = Date.now() + 1000;
  while (left.length && Date.now() < end2) {
    for (const p of left) signal(p, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 10));
    reaper.reapNow();
    left = others();
  }
}
