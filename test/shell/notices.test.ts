import { describe, expect, it } from 'vitest';
import { localTime } from '../../src/commands/format.js';
import type { JournalEvent } from '../../src/control/wire.js';
import { HOLD_MS, Notices } from '../../src/shell/notices.js';

const T0 = Date.parse('2026-12-07T10:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const hms = (ms: number) => localTime(at(ms));

/** A state change as the supervisor journals it: `from -> to: reason`. */
function ev(service: string, from: string, to: string, reason: string, ms: number): JournalEvent {
  return { time: at(ms), service, what: 'state', why: `${from} -> ${to}: ${reason}`, state: to as JournalEvent['state'] };
}

/** The four changes of one scheduled run beginning at `ms`, ending as `reason` says. */
function run(service: string, ms: number, reason = 'exited with code 0'): JournalEvent[] {
  return [
    ev(service, 'scheduled', 'pending', 'scheduled run', ms),
    ev(service, 'pending', 'starting', 'spawned', ms + 1),
    ev(service, 'starting', 'running', 'started', ms + 2),
    ev(service, 'running', 'scheduled', reason, ms + 3),
  ];
}

/** Feeds events (the shell's clock at each: its time); every line printed, in order. */
function feed(n: Notices, events: JournalEvent[]): string[] {
  return events.flatMap((e) => n.state(e, Date.parse(e.time)).map((l) => l.text));
}

describe('Notices: a scheduled run', () => {
  it('is told in one line when it ends soon, not four', () => {
    const n = new Notices(false);
    expect(feed(n, run('tick', 0))).toEqual([`${hms(3)} tick run completed (exited with code 0)`]);
    expect(n.live()).toEqual([]);
    expect(n.nextDue()).toBeNull();
  });

  it('runs ending alike are counted in one line kept above the prompt, not printed', () => {
    const n = new Notices(false);
    const printed = feed(n, [...run('tick', 0), ...run('tick', 1000), ...run('tick', 2000)]);
    expect(printed).toEqual([`${hms(3)} tick run completed (exited with code 0)`]);
    expect(n.live()).toEqual([{ text: `${hms(2003)} tick run completed 2 more times (exited with code 0)`, failure: false }]);
    expect(feed(n, run('tick', 3000))).toEqual([]);
    expect(n.live().map((l) => l.text)).toEqual([`${hms(3003)} tick run completed 3 more times (exited with code 0)`]);
  });

  it('another outcome writes the count down and is printed; tasks are counted apart', () => {
    const n = new Notices(false);
    const printed = feed(n, [
      ...run('tick', 0),
      ...run('flaky', 500, 'exited with code 1'),
      ...run('tick', 1000),
      ...run('flaky', 1500, 'exited with code 1'),
      ...run('tick', 2000, 'exited with code 2'),
      ...run('tick', 3000, 'exited with code 2'),
    ]);
    expect(printed).toEqual([
      `${hms(3)} tick run completed (exited with code 0)`,
      `${hms(503)} flaky run failed (exited with code 1)`,
      `${hms(1003)} tick run completed once more (exited with code 0)`,
      `${hms(2003)} tick run failed (exited with code 2)`,
    ]);
    expect(n.live().map((l) => l.text)).toEqual([
      `${hms(1503)} flaky run failed once more (exited with code 1)`,
      `${hms(3003)} tick run failed once more (exited with code 2)`,
    ]);
    // leaving the shell: the counts are written down
    expect(n.settleAll().map((l) => l.text)).toEqual([
      `${hms(1503)} flaky run failed once more (exited with code 1)`,
      `${hms(3003)} tick run failed once more (exited with code 2)`,
    ]);
    expect(n.live()).toEqual([]);
  });

  it('a run going on past HOLD_MS is told as it goes (it may wait for approval), and its end in full', () => {
    const n = new Notices(false);
    const [toPending, toStarting, toRunning, end] = run('backup', 0);
    expect(n.state(toPending!, T0)).toEqual([]);
    expect(n.nextDue()).toBe(T0 + HOLD_MS);
    expect(n.due(T0 + HOLD_MS - 1)).toEqual([]);
    expect(n.due(T0 + HOLD_MS).map((l) => l.text)).toEqual([`${hms(0)} backup state scheduled -> pending: scheduled run`]);
    expect(n.nextDue()).toBeNull();
    expect(n.state(toStarting!, T0 + 5000).map((l) => l.text)).toEqual([`${hms(1)} backup state pending -> starting: spawned`]);
    expect(n.state(toRunning!, T0 + 5000)).toHaveLength(1);
    expect(n.state(end!, T0 + 9000).map((l) => l.text)).toEqual([`${hms(3)} backup run completed (exited with code 0)`]);
    // a quick run after it with the same outcome is counted
    expect(feed(n, run('backup', 10_000))).toEqual([]);
    expect(n.live()).toHaveLength(1);
  });

  it('a run ended otherwise (a stop, a disable) prints what was held, the count first', () => {
    const n = new Notices(false);
    feed(n, [...run('tick', 0), ...run('tick', 1000)]);
    const printed = feed(n, [
      ev('tick', 'scheduled', 'pending', 'scheduled run', 2000),
      ev('tick', 'pending', 'stopped', 'disabled by tend disable', 2001),
    ]);
    expect(printed).toEqual([
      `${hms(1003)} tick run completed once more (exited with code 0)`,
      `${hms(2000)} tick state scheduled -> pending: scheduled run`,
      `${hms(2001)} tick state pending -> stopped: disabled by tend disable`,
    ]);
    expect(n.live()).toEqual([]);
  });

  it("leaves a service's changes as they were, one line each", () => {
    const n = new Notices(false);
    const printed = feed(n, [
      ev('web', 'running', 'backoff', 'exited with code 1', 0),
      ev('web', 'backoff', 'starting', 'retry', 1),
    ]);
    expect(printed).toEqual([
      `${hms(0)} web state running -> backoff: exited with code 1`,
      `${hms(1)} web state backoff -> starting: retry`,
    ]);
  });
});

describe('Notices: the modes', () => {
  it('failures: only failed runs, failing services and their counts', () => {
    const n = new Notices(false);
    expect(n.setMode('failures')).toEqual([]);
    const printed = feed(n, [
      ...run('tick', 0),
      ...run('flaky', 10, 'exited with code 1'),
      ...run('tick', 1000),
      ...run('flaky', 1010, 'exited with code 1'),
      ev('web', 'running', 'failed', 'exited with code 1', 1500),
      ev('db', 'stopped', 'starting', 'started by tend start', 1600),
    ]);
    expect(printed).toEqual([
      `${hms(13)} flaky run failed (exited with code 1)`,
      `${hms(1500)} web state running -> failed: exited with code 1`,
    ]);
    expect(n.live().map((l) => l.text)).toEqual([`${hms(1013)} flaky run failed once more (exited with code 1)`]);
  });

  it('off: nothing; the counts go on and are right when notices are on again', () => {
    const n = new Notices(false);
    feed(n, run('tick', 0));
    n.setMode('off');
    expect(feed(n, [...run('tick', 1000), ...run('flaky', 1500, 'exited with code 1')])).toEqual([]);
    expect(n.live()).toEqual([]);
    expect(n.setMode('on')).toEqual([]);
    // the mode change wrote the count down (shown as off showed it: not at all); the next run is printed anew
    expect(feed(n, run('tick', 2000))).toEqual([`${hms(2003)} tick run completed (exited with code 0)`]);
  });

  it('a change of mode writes the counts down as the old mode showed them', () => {
    const n = new Notices(false);
    feed(n, [...run('tick', 0), ...run('tick', 1000)]);
    expect(n.setMode('failures').map((l) => l.text)).toEqual([`${hms(1003)} tick run completed once more (exited with code 0)`]);
    expect(n.mode).toBe('failures');
  });

  it('colours the outcome and the name when asked', () => {
    const n = new Notices(true);
    const [line] = feed(n, run('flaky', 0, 'exited with code 1'));
    expect(line).toContain('\x1b[31mfailed\x1b[0m');
  });
});
