// What `tend up` echoes of the journal (daemon/terminal.ts): one line an entry, in text and JSON.
import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/core/types.js';
import { journalJson, journalLine } from '../../src/daemon/terminal.js';

const at = '2026-12-07T10:00:01.234Z';
const entry = (over: Partial<JournalEntry>): JournalEntry => ({ time: at, service: 'web', what: 'reload', why: '', ...over });

describe('journalLine', () => {
  it('a state change: time, name, state, why', () => {
    expect(journalLine(entry({ what: 'state', state: 'running', why: 'starting -> running: started' }), false)).toBe(
      '10:00:01.234 web running started',
    );
  });

  it('a why of several lines (a config rejected) indents its next lines under the first', () => {
    const why = 'file changed: config rejected, keeping the running one: tend.yaml:3:5: bad\ntend.yaml:9:1: worse';
    expect(journalLine(entry({ service: 'tend', why }), false)).toBe(
      '10:00:01.234 tend reload: file changed: config rejected, keeping the running one: tend.yaml:3:5: bad\n             tend.yaml:9:1: worse',
    );
    // JSON keeps it one object on one line
    expect(journalJson(entry({ service: 'tend', why }))!.split('\n')).toHaveLength(1);
  });
});
