// The daemon's signals: SIGTERM and SIGINT shut down (a second SIGINT kills every service at
// once), SIGHUP reloads, SIGPIPE is ignored (a closed stdout is handled where it is written).
import type { Journal } from '../core/journal.js';
import type { Part } from './parts.js';

/** Why: tend answers signals as the README says; a part, so its handlers go with the daemon. */
export function signals(d: {
  journal: Journal;
  shutdown(code: number): unknown;
  /** every service SIGKILLed now (the second Ctrl-C) */
  killAll(): void;
  reload(): Promise<unknown>;
  say(line: string): void;
  /** what the first Ctrl-C says: what shutdown waits for, and that a second one kills */
  stopping?(): string;
}): Part {
  let interrupts = 0;
  const stop = (sig: 'SIGINT' | 'SIGTERM'): void => {
    interrupts++;
    if (interrupts > 1 && sig === 'SIGINT') {
      d.say('tend: second interrupt: killing every service');
      d.killAll();
      return;
    }
    d.journal.add('tend', 'signal', `${sig}: shutting down`);
    if (sig === 'SIGINT' && d.stopping) d.say(d.stopping());
    void d.shutdown(0);
  };
  const handlers: Array<[NodeJS.Signals, () => void]> = [
    ['SIGINT', () => stop('SIGINT')],
    ['SIGTERM', () => stop('SIGTERM')],
    ['SIGHUP', () => void d.reload().catch(() => {})],
    ['SIGPIPE', () => {}],
  ];
  return {
    name: 'signals',
    start: () => void handlers.forEach(([sig, fn]) => process.on(sig, fn)),
    close: () => void handlers.forEach(([sig, fn]) => process.off(sig, fn)),
  };
}
