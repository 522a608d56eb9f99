import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/shell/command-data.js';
import { helpText } from '../../src/shell/help.js';

describe('helpText', () => {
  it('lists every command with its usage and summary', () => {
    const text = helpText(COMMANDS);
    for (const c of COMMANDS) expect(text).toContain(`${c.usage}`);
    expect(text).toMatch(/^commands:\n {2}status \[NAME\.\.\.\] \[--json\] +one row a service/);
    expect(text).toContain('Ctrl-R');
  });
  it('explains one command', () => {
    expect(helpText(COMMANDS, 'logs')).toBe(
      [
        'usage: logs NAME... [-n N] [-f] [--json]',
        '  last N lines of services (default 100); -f follows',
        '  flags: -n --lines -f --follow --json',
        '  NAME may be all, or a replica set name for all of its instances.',
      ].join('\n'),
    );
    expect(helpText(COMMANDS, 'top')).toBe('usage: top\n  a live table of services (q returns to the prompt)');
  });
  it('suggests for an unknown topic', () => {
    expect(helpText(COMMANDS, 'stauts')).toContain('did you mean "status"');
  });
});

describe('the command table', () => {
  it('has unique names, a usage starting with the name, and known argument kinds', () => {
    const names = COMMANDS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const c of COMMANDS) {
      expect(c.usage.split(' ')[0]).toBe(c.name);
      for (const f of c.flags) expect(c.usage.includes(f) || ['--lines', '--follow'].includes(f)).toBe(true);
    }
  });
});
