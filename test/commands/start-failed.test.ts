// The error of a failed `tend start`/`restart`/`run`: why, the lines since it was asked, and that
// tend exits with it when it is settings.exit_with's service (commands/lifecycle.ts startFailed).
import { describe, expect, it } from 'vitest';
import { startFailed } from '../../src/commands/lifecycle.js';
import type { Instance } from '../../src/core/instance.js';
import type { LogLine } from '../../src/logs/line.js';

const inst = (id: string, state = 'failed') =>
  ({ id, state, reason: 'exited with code 3', inst: { service: id } }) as unknown as Instance;
const line = (time: number, text: string) =>
  ({ time: new Date(time).toISOString(), stream: 'stdout', line: text }) as unknown as LogLine;

describe('startFailed', () => {
  const logs = (lines: LogLine[]) => ({ tail: () => lines, ended: async () => {} });

  it('says why, with the lines printed since it was asked, not those of runs before', async () => {
    const e = await startFailed([inst('web')], logs([line(1000, 'before'), line(2000, 'boom')]), 1500);
    expect(e.message).toBe('web: exited with code 3\n  its last lines:\n  | boom');
  });

  it('says that tend exits with it when it is the exit_with service (the next command found no daemon, with no word why)', async () => {
    const e = await startFailed([inst('job'), inst('web')], logs([]), 0, 'job');
    expect(e.message).toBe('job: exited with code 3; tend exits with it (settings.exit_with)\nweb: exited with code 3');
    // not failed for good (in backoff, it starts again): tend goes on
    const again = await startFailed([inst('job', 'backoff')], logs([]), 0, 'job');
    expect(again.message).toBe('job: exited with code 3');
  });
});
