// `tend wait`'s pure parts: which named instances cannot start without someone (and the words
// that say why), the approval gates that hold a target, and what Ctrl-C in the shell says.
import { describe, expect, it } from 'vitest';
import { cannotStart, heldByApproval, heldText, waitInterrupted } from '../../src/commands/wait.js';
import { stateWords } from '../../src/core/describe.js';
import { STATES } from '../../src/core/types.js';
import { instanceSpec, record, storeOf } from '../helpers/fakes.js';

const deploy = (state: 'pending' | 'completed' = 'pending') =>
  record(instanceSpec('deploy', { type: 'oneshot', approval: true }), { state });
const web = (state: 'pending' | 'running' = 'pending') =>
  record(instanceSpec('web', { dependsOn: { deploy: 'completed' } }), { state });
const front = record(instanceSpec('front', { dependsOn: { web: 'started' } }), { state: 'pending' });

describe('heldByApproval', () => {
  it('holds a run at its gate, and what is pending behind it, directly or not, with the gated instances', () => {
    const store = storeOf(deploy(), web(), front);
    const held = heldByApproval(store, store.values());
    expect([...held].map(([id, by]) => [id, by.map((g) => g.id)])).toEqual([
      ['deploy', ['deploy']],
      ['web', ['deploy']],
      ['front', ['deploy']],
    ]);
  });
  it('does not hold one already up whose dependency waits at the gate again (its next run), nor any without a gate', () => {
    expect(heldByApproval(storeOf(deploy(), web('running')), [web('running')]).size).toBe(0);
    const done = storeOf(deploy('completed'), web());
    expect(heldByApproval(done, done.values()).size).toBe(0);
  });
});

describe('cannotStart', () => {
  it('a service not wanted up fails at once with what starts it', () => {
    const stopped = record(instanceSpec('bad'), { want: 'down', state: 'stopped' });
    expect(cannotStart(stopped, undefined, 'autostart is off')).toBe('stopped (not wanted up): tend start bad');
    const going = record(instanceSpec('bad'), { want: 'down', state: 'stopping' });
    expect(cannotStart(going, undefined, '')).toBe('stopping (not wanted up): tend start bad');
    // how it ended is its answer: a completed oneshot has started, a failed one says why
    for (const state of ['completed', 'failed'] as const) {
      expect(cannotStart(record(instanceSpec('bad'), { want: 'down', state }), undefined, '')).toBeUndefined();
    }
  });
  it('a held one names the gate, and the command that lets it go', () => {
    const d = deploy();
    expect(cannotStart(web(), [d], 'waiting for deploy: completed')).toBe(
      'waiting for deploy: completed (deploy waits for approval: tend approve deploy)',
    );
    expect(cannotStart(d, [d], 'waiting for approval (tend approve deploy)')).toBe('waiting for approval (tend approve deploy)');
    expect(cannotStart(web(), undefined, 'waiting for deploy: completed')).toBeUndefined();
  });
});

describe('words', () => {
  it('a state reads after "is" and "still": in backoff, the others as they are', () => {
    expect(STATES.map((s) => `is ${stateWords(s)}`)).toEqual([
      'is pending',
      'is starting',
      'is running',
      'is stopping',
      'is stopped',
      'is in backoff',
      'is completed',
      'is failed',
      'is scheduled',
    ]);
  });
  it('Ctrl-C during a wait: it stopped waiting, and what it waited for goes on', () => {
    expect(waitInterrupted([])).toBe('stopped waiting; the services go on starting');
    expect(waitInterrupted(['web'])).toBe('stopped waiting; web goes on starting');
    expect(waitInterrupted(['web', 'db'])).toBe('stopped waiting; web, db go on starting');
  });
});

describe('heldText', () => {
  it('names what an unnamed wait skipped behind a gate, and the approvals that let it go, once each', () => {
    expect(heldText(undefined)).toBe('');
    expect(heldText([])).toBe('');
    expect(
      heldText([
        { name: 'deploy', by: ['deploy'] },
        { name: 'web', by: ['deploy'] },
        { name: 'after', by: ['risky'] },
      ]),
    ).toBe('not waited for, behind an approval gate: deploy, web, after (tend approve deploy risky)\n');
  });
});
