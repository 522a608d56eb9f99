// Signal names and numbers, one table for the config, the spawners and exit codes.
import { constants } from 'node:os';

const byName = constants.signals as Record<string, number>;
let byNumber: Map<number, string> | undefined;

/** The number of a signal name ("SIGTERM" -> 15), or undefined. */
export function signalNumber(name: string): number | undefined {
  return byName[name];
}

/** The name of a signal number (15 -> "SIGTERM"); the first name wins (SIGABRT, not SIGIOT). */
export function signalName(num: number): string | undefined {
  if (!byNumber) {
    byNumber = new Map();
    for (const [name, n] of Object.entries(byName)) if (!byNumber.has(n)) byNumber.set(n, name);
  }
  return byNumber.get(num);
}

/** Every signal name, for completion and hints. */
export const SIGNAL_NAMES: readonly string[] = Object.keys(byName);
