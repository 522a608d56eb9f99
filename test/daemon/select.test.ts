// `tend up NAME...`: the named services and their dependencies come up, the others enter stopped
// saying why; names are checked against the config.
import { describe, expect, it } from 'vitest';
import { selectEntry, unknownNames } from '../../src/daemon/select.js';
import type { Spec } from '../../src/core/types.js';
import type { Entry } from '../../src/reconcile/supervisor.js';
import { flush, harness, instanceSpec, replicaSet, serviceSpec } from '../helpers/fakes.js';

const autostart = (i: { spec: { autostart: boolean } }): Entry => (i.spec.autostart ? 'up' : 'down');

describe('tend up NAME...', () => {
  it('brings up the named and what they depend on; the others stay stopped, saying why', async () => {
    const h = harness();
    const insts = [
      instanceSpec('db'),
      instanceSpec('web', { dependsOn: { db: 'started' } }),
      instanceSpec('admin', { autostart: false }),
      ...replicaSet('worker', 2),
      instanceSpec('other'),
    ];
    h.sup.add(insts, selectEntry(['web', 'admin', 'worker.2'], autostart));
    await flush();
    expect(h.states('db', 'web', 'admin', 'worker.1', 'worker.2', 'other')).toEqual({
      db: 'running',
      web: 'running',
      admin: 'running',
      'worker.1': 'stopped',
      'worker.2': 'running',
      other: 'stopped',
    });
    expect(h.get('other').reason).toBe('not selected by tend up web admin worker.2');
    expect(h.get('other').want).toBe('down');
    expect(h.spawner.order().sort()).toEqual(['admin', 'db', 'web', 'worker.2']);
  });

  it('no names, or all: the entry it is given, untouched', () => {
    const base = (): Entry => ({ completedAt: 5 });
    expect(selectEntry([], base)).toBe(base);
    expect(selectEntry(['web', 'all'], base)).toBe(base);
  });

  it('a named service stopped under an earlier tend comes up; a completed oneshot stays completed', () => {
    const entry = selectEntry(['a', 'b'], (i) => (i.id === 'a' ? 'down' : { completedAt: 7 }));
    expect(entry(instanceSpec('a'))).toBe('up');
    expect(entry(instanceSpec('b'))).toEqual({ completedAt: 7 });
    expect(entry(instanceSpec('c'))).toEqual({ down: 'not selected by tend up a b' });
  });

  it('names what the config does not have: a service, a replica set, an instance, all', () => {
    const spec = { services: [serviceSpec('web'), serviceSpec('worker', { replicas: 3 })] } as Spec;
    expect(unknownNames(spec, ['web', 'worker', 'worker.3', 'all'])).toEqual([]);
    expect(unknownNames(spec, ['wbe', 'worker.4', 'web.1'])).toEqual(['wbe', 'worker.4', 'web.1']);
  });
});
