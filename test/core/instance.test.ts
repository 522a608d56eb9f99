// The runtime record: a fresh record's fields, and which states count as alive.
import { describe, expect, it } from 'vitest';
import { inProgress, isAlive, newInstance } from '../../src/core/instance.js';
import { STATES } from '../../src/core/types.js';
import { instanceSpec } from '../helpers/fakes.js';

describe('newInstance', () => {
  it('wanted up: pending, not started yet, no process, no history', () => {
    const inst = instanceSpec('web');
    expect(newInstance(inst, 42, 'up')).toEqual({
      id: 'web',
      inst,
      want: 'up',
      state: 'pending',
      since: 42,
      reason: 'not started yet',
      pid: null,
      startedAt: null,
      spawns: 0,
      restarts: 0,
      starts: [],
      failuresInRow: 0,
      deadline: null,
      exits: [],
      lastProbeFailure: null,
      livenessFailures: 0,
      trigger: 'start-up',
      endRun: null,
      notReady: null,
      startExtendedTo: null,
      approved: false,
      paused: false,
      lastRun: null,
      nextRunAt: null,
      statusText: null,
      mainPid: null,
      outputLost: false,
      lingering: false,
      unstartedEnd: null,
      runs: { completed: 0, failed: 0, lastCompletedAt: null },
      lastFailure: null,
      afterRemoved: [],
      asked: null,
    });
  });

  it('a task with a schedule rests in scheduled, wanted up; autostart off pauses its schedule', () => {
    const task = instanceSpec('job', { type: 'oneshot', schedule: { kind: 'every', ms: 1000 } });
    const on = newInstance(task, 3, 'up');
    expect([on.want, on.state, on.reason, on.paused]).toEqual(['up', 'scheduled', 'waiting for its first run', false]);
    const off = newInstance(task, 3, 'down');
    expect([off.want, off.state, off.paused]).toEqual(['up', 'scheduled', true]);
  });

  it('wanted down: stopped because autostart is off', () => {
    const i = newInstance(instanceSpec('web'), 7, 'down');
    expect([i.want, i.state, i.reason, i.since]).toEqual(['down', 'stopped', 'autostart is off', 7]);
  });

  it('gives each record its own arrays', () => {
    const a = newInstance(instanceSpec('a'), 0, 'up');
    const b = newInstance(instanceSpec('b'), 0, 'up');
    a.starts.push(1);
    a.exits.push({ time: 1, exit: { kind: 'exited', code: 0 } });
    expect([b.starts, b.exits]).toEqual([[], []]);
  });
});

describe('isAlive', () => {
  it('is true exactly for starting, running and stopping', () => {
    expect(STATES.filter(isAlive)).toEqual(['starting', 'running', 'stopping']);
  });
});

describe('inProgress', () => {
  it('is true where a run is on its way or going: pending, backoff and the live states', () => {
    expect(STATES.filter(inProgress)).toEqual(['pending', 'starting', 'running', 'stopping', 'backoff']);
  });
});
