// PID 1 / child subreaper duty at shutdown: every descendant goes, not only the services.
import { childPids, killQuiet as signal, pidAlive as alive } from '../sys/proc.js';

/**
 * SIGTERM to every remaining child (orphans reparented to us), SIGKILL at the deadline. A child
 * reparented to tend meanwhile (the child of an orphan that ended or was killed) gets the same:
 * SIGTERM when first seen before the deadline, SIGKILL after it, so that tend's exit keeps to
 * shutdown_timeout with grandchildren too (before, it waited a second on them, and they outlived it).
 */
export async function reapDescendants(reaper: { reapNow(): unknown }, ms: number): Promise<void> {
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
  const end = Date.now() + ms;
  while (left.length && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 20));
    reaper.reapNow();
    left = others();
    term(left);
  }
  const end2 = Date.now() + 1000;
  while (left.length && Date.now() < end2) {
    for (const p of left) signal(p, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 10));
    reaper.reapNow();
    left = others();
  }
}
