import { describe, expect, it } from 'vitest';
import { localTime } from '../../src/commands/format.js';
import { formatEvent, isEventRow, reloadNotice, stateColor } from '../../src/shell/stream-lines.js';

describe('stream lines', () => {
  const e = { time: '2024-05-01T15:35:11.123Z', service: 'web', what: 'state', why: 'running: started', state: 'running' };
  it('formats events as the CLI does', () => {
    // a date in every line, in local time
    expect(formatEvent(e, false)).toBe(`${localTime(e.time)} web state running: started`);
    expect(localTime(e.time)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);
    expect(formatEvent('plain', false)).toBe('plain');
    expect(formatEvent({ odd: 1 }, false)).toBe('{"odd":1}');
  });
  it('recognises event rows', () => {
    expect(isEventRow(e)).toBe(true);
    expect(isEventRow({ service: 'web' })).toBe(false);
    expect(isEventRow(null)).toBe(false);
  });
  it('colours every state', () => {
    for (const s of ['pending', 'starting', 'running', 'stopping', 'stopped', 'backoff', 'completed', 'failed']) {
      expect(stateColor(s)).toBeTypeOf('string');
    }
    expect(stateColor('weird')).toBeUndefined();
  });
  it('says a reload in one line: its plan without the unchanged count, or the first problem of a rejected file', () => {
    // as daemon/reload.ts journals them
    const time = '2024-05-01T15:35:11.123Z';
    const at = localTime(time);
    const applied = { time, service: 'tend', what: 'reload', why: 'file changed: + api; ~ web (command); = 3 unchanged' };
    expect(reloadNotice(applied)).toEqual({ text: `${at} reload (file changed): + api; ~ web (command)`, rejected: false });
    const asked = { time, service: 'tend', what: 'reload', why: 'on request: = 4 unchanged' };
    expect(reloadNotice(asked).text).toBe(`${at} reload (on request): nothing changed`);
    const why =
      'file changed: config rejected, keeping the running one: /srv/tend.yaml:3:5: bad indentation (and 1 more problem; tend check lists it)';
    expect(reloadNotice({ time, service: 'tend', what: 'reload', why })).toEqual({
      text: `${at} reload rejected (file changed): /srv/tend.yaml:3:5: bad indentation (and 1 more problem; tend check lists it)`,
      rejected: true,
    });
    // an entry of an older journal, one problem a line: the same words
    const older =
      'file changed: config rejected, keeping the running one: /srv/tend.yaml:3:5: bad indentation\n/srv/tend.yaml:9:1: x';
    expect(reloadNotice({ time, service: 'tend', what: 'reload', why: older })).toEqual(
      reloadNotice({ time, service: 'tend', what: 'reload', why }),
    );
  });
});
