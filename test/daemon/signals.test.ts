// The signals that reach `tend up` before the daemon's handlers: held by the command line, acted
// on by the daemon's signals part once it starts (as PID 1 they were dropped by the kernel).
// Real signals to this process: SIGHUP and SIGQUIT, which the worker has no other use for.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Journal } from '../../src/core/journal.js';
import { signals } from '../../src/daemon/signals.js';
import { heldSignals, holdSignals, takeHeldSignals } from '../../src/sys/early-signals.js';

afterEach(() => void takeHeldSignals());

/** Sends the signals to this process and waits until each is held (delivered through the event loop). */
async function send(...sigs: NodeJS.Signals[]): Promise<void> {
  for (const sig of sigs) process.kill(process.pid, sig);
  await vi.waitFor(() => expect(heldSignals()).toEqual(sigs), { timeout: 5000, interval: 5 });
}

describe('held signals', () => {
  it('are kept in order while held, and the holding handlers go with takeHeldSignals', async () => {
    const before = process.listenerCount('SIGHUP');
    holdSignals();
    expect(process.listenerCount('SIGHUP')).toBe(before + 1);
    await send('SIGHUP', 'SIGQUIT');
    expect(takeHeldSignals()).toEqual(['SIGHUP', 'SIGQUIT']);
    expect(process.listenerCount('SIGHUP')).toBe(before);
    expect(takeHeldSignals()).toEqual([]);
  });

  it('the signals part acts on those that came while tend was starting: SIGQUIT shuts down, SIGHUP reloads', async () => {
    holdSignals();
    await send('SIGQUIT', 'SIGHUP');
    const journal = new Journal();
    const shutdown = vi.fn();
    const reload = vi.fn(async () => {});
    const part = signals({ journal, shutdown, reload, killAll: () => {}, say: () => {} });
    part.start!();
    try {
      expect(shutdown).toHaveBeenCalledWith(0);
      expect(reload).toHaveBeenCalledTimes(1);
      expect(journal.last(10).map((e) => e.why)).toEqual([
        'SIGQUIT came while tend was starting',
        'SIGQUIT: shutting down',
        'SIGHUP came while tend was starting',
      ]);
      expect(heldSignals()).toEqual([]);
    } finally {
      part.close!();
    }
  });
});
