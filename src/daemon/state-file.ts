// The small file next to the socket that lets a restarted daemon adopt live services: where the
// cgroup subtree is, and per instance the hash of its process spec and its main pid.
// Written atomically (temp file + rename), debounced.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Instance } from '../core/instance.js';

export interface StateRecord {
  hash: string;
  pid: number;
  startedAt: number;
  spawns: number;
}

export interface DaemonState {
  version: 1;
  pid: number;
  cgroupRoot: string | null;
  instances: Record<string, StateRecord>;
}

/** `<socket>.state` */
export function stateFileOf(socket: string): string {
  return `${socket}.state`;
}

/** The state an earlier daemon left, or undefined (none, or unreadable: nothing to adopt). */
export function readState(file: string): DaemonState | undefined {
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as DaemonState;
    return s && s.version === 1 && typeof s.instances === 'object' ? s : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the state file atomically. */
export function writeState(file: string, state: DaemonState): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
  renameSync(tmp, file);
}

/** Keeps the state file in step with the store, at most one write per `delayMs`. */
export function stateWriter(
  file: string,
  snapshot: () => { cgroupRoot: string | null; live: Instance[]; hash: (i: Instance) => string },
  delayMs = 50,
) {
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    timer = undefined;
    const { cgroupRoot, live, hash } = snapshot();
    // fromEntries defines own keys: an id such as `__proto__` stays a record, not a prototype
    const instances: Record<string, StateRecord> = Object.fromEntries(
      live
        .filter((i) => i.pid !== null)
        .map((i) => [i.id, { hash: hash(i), pid: i.pid!, startedAt: i.startedAt ?? Date.now(), spawns: i.spawns }]),
    );
    try {
      writeState(file, { version: 1, pid: process.pid, cgroupRoot, instances });
    } catch {
      /* the folder went away: adoption just won't be possible */
    }
  };
  return {
    touch(): void {
      if (!timer) timer = setTimeout(flush, delayMs);
    },
    flush,
    remove(): void {
      clearTimeout(timer);
      timer = undefined;
      rmSync(file, { force: true });
    },
  };
}
