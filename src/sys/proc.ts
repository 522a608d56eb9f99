// Small facts about pids from /proc, and signals that never throw.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Alive and not a zombie (a zombie is dead, only not reaped yet). */
export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

/** The program a process runs (/proc/PID/exe), or undefined when it is gone or not ours to see. */
export function exeOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
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

/** True while a process group has a member that is not a zombie. Cheap when the group is gone
 *  (one kill(2)); reads /proc only when members are left, to tell live ones from unreaped ones. */
export function processGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch {
      continue; // ended meanwhile
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parens, so split after the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}

/** Our live and zombie children (any thread's), from /proc: PID 1 waits for these at shutdown. */
export function childPids(): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      for (const s of readFileSync(`/proc/self/task/${tid}/children`, 'utf8').split(' ')) {
        const pid = Number(s);
        if (s !== '' && Number.isInteger(pid)) out.push(pid);
      }
    } catch {
      // thread gone, or kernel without CONFIG_PROC_CHILDREN
    }
  }
  return out;
}
