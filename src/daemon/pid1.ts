// PID 1 / child subreaper duty at shutdown: every descendant goes, not only the services.
import { childPids, killQuiet as signal, pidAlive as alive } from '../sys/proc.js';

/** SIGTERM to every remaining child (orphans reparented to us), SIGKILL at the deadline. */
export async function reapDescendants(reaper: { reapNow(): unknown }, ms: number): Promise<void> {
  const others = (): number[] => childPids().filter((p) => alive(p));
  let left = others();
  if (left.length === 0) return;
  for (const p of left) signal(p, 'SIGTERM');
  const end = Date.now() + ms;
  while (left.length && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 20));
    reaper.reapNow();
    left = others();
  }
  for (const p of left) signal(p, 'SIGKILL');
  const end2 = Date.now() + 1000;
  while (others().length && Date.now() < end2) {
    await new Promise((r) => setTimeout(r, 10));
    reaper.reapNow();
  }
}
