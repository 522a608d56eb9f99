// Small facts about pids from /proc, and signals that never throw.
import { readFileSync } from 'node:fs';

/** Alive and not a zombie (a zombie is dead, only not reaped yet). */
export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

/** process.kill that ignores a pid (or -pgid) already gone or not ours to signal. */
export function killQuiet(pid: number, sig: string): void {
  try {
    process.kill(pid, sig as NodeJS.Signals);
  } catch {
    /* ESRCH or EPERM */
  }
}
