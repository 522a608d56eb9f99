import { describe, expect, it } from 'vitest';
import { localTime } from '../../src/commands/format.js';
import { formatEvent, isEventRow, stateColor } from '../../src/shell/stream-lines.js';

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
});
