// The daemon's signals: SIGTERM, SIGINT, SIGQUIT and SIGPWR shut down (a second SIGINT kills every service
// at once), SIGHUP reloads, SIGUSR1 and SIGUSR2 are ignored (journaled), SIGPIPE is ignored (a
// closed stdout is handled where it is written).
import type { Journal } from '../core/journal.js';
import { takeHeldSignals } from '../sys/early-signals.js';
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
  const stop = (sig: 'SIGINT' | 'SIGTERM' | 'SIGQUIT' | 'SIGPWR'): void => {
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
    // Why: node's default for SIGQUIT (and SIGUSR2) is to die at once, leaving every service
    // running unsupervised; Ctrl-\ in a terminal means quit, and nginx reads it as a graceful stop
    ['SIGQUIT', () => stop('SIGQUIT')],
    // Why: LXC (lxc-stop, and Incus/LXD) asks a container's init to halt with SIGPWR; node's
    // default is to die at once (the services left running), and as PID 1 it was dropped
    ['SIGPWR', () => stop('SIGPWR')],
    ['SIGHUP', () => void d.reload().catch(() => {})],
    // Why: node opens its inspector on SIGUSR1 (a debugger port any local process could use to
    // run code as tend's user, root in a container); a listener of ours keeps it shut
    ['SIGUSR1', () => d.journal.add('tend', 'signal', 'SIGUSR1: ignored (tend has no use for it)')],
    ['SIGUSR2', () => d.journal.add('tend', 'signal', 'SIGUSR2: ignored (tend has no use for it)')],
    ['SIGPIPE', () => {}],
  ];
  return {
    name: 'signals',
    start() {
      handlers.forEach(([sig, fn]) => process.on(sig, fn));
      // those that came while tend was starting (held by the command line: sys/early-signals.ts)
      for (const sig of takeHeldSignals()) {
        d.journal.add('tend', 'signal', `${sig} came while tend was starting`);
        handlers.find(([s]) => s === sig)?.[1]();
      }
    },
    close: () => void handlers.forEach(([sig, fn]) => process.off(sig, fn)),
  };
}
