// settings.exit_with: the code tend exits with when that service ends for good (docs/config.md).
import { describe, expect, it } from 'vitest';
import { Journal } from '../../src/core/journal.js';
import type { Exit } from '../../src/core/types.js';
import { exitWith } from '../../src/daemon/exit-with.js';
import type { Supervisor } from '../../src/reconcile/supervisor.js';

/** The code tend shuts down with when `app` ends in `state` after `exits` (undefined: it does not). */
function codeOf(state: string, exits: Exit[]): number | undefined {
  const i = { id: 'app', state, reason: 'why', inst: { service: 'app' }, exits: exits.map((exit) => ({ exit })) };
  const sup = { onChange: () => () => {}, store: new Map([['app', i]]) } as unknown as Supervisor;
  let code: number | undefined;
  const part = exitWith({
    sup,
    journal: new Journal(),
    settings: () => ({ exitWith: 'app' }) as never,
    shutdown: (c) => (code = c),
    shuttingDown: () => false,
  });
  part.start?.();
  return code;
}

describe('exit_with', () => {
  it("exits with the service's code: its own, 128+n for a signal, 127 for a spawn that failed", () => {
    expect(codeOf('completed', [{ kind: 'exited', code: 0 }])).toBe(0);
    expect(codeOf('failed', [{ kind: 'exited', code: 3 }])).toBe(3);
    expect(codeOf('failed', [{ kind: 'signaled', signal: 'SIGTERM' }])).toBe(143);
    expect(codeOf('failed', [{ kind: 'spawn-error', message: 'ENOENT' } as Exit])).toBe(127);
    expect(codeOf('running', [])).toBeUndefined();
  });

  it('a failed service never gives 0: one tend stopped (start_timeout, timeout) that exited 0 on its stop signal gives 1', () => {
    expect(codeOf('failed', [{ kind: 'exited', code: 0 }])).toBe(1);
    expect(codeOf('failed', [])).toBe(1); // it never ran (a dependency failed)
  });
});
