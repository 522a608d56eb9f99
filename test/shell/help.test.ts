import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/shell/command-data.js';
import { helpText, wrapWords } from '../../src/shell/help.js';

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
  it('wraps to a width: side by side when the summary column has room, stacked below that', () => {
    for (const width of [100, 80, 60]) {
      const text = helpText(COMMANDS, undefined, width);
      for (const line of text.split('\n')) expect(line.length, `${width}: ${line}`).toBeLessThanOrEqual(width);
      for (const c of COMMANDS) expect(text).toContain(`  ${c.usage}`);
    }
    expect(helpText(COMMANDS, undefined, 100)).toMatch(/\n {2}reload \[--dry-run\] \[--json\] +re-read the config and converge \(--dry-run:\n {54}only print the plan\)\n/);
    expect(helpText(COMMANDS, undefined, 60)).toContain('\n  why NAME [--json]\n      explain why a service is in its state\n');
    expect(helpText(COMMANDS, 'events', 40).split('\n').every((l) => l.length <= 40)).toBe(true);
  });
  it('wrapWords breaks at spaces and keeps an over-long word whole', () => {
    expect(wrapWords('aa bb cc', 5)).toEqual(['aa bb', 'cc']);
    expect(wrapWords('abcdefgh ij', 4)).toEqual(['abcdefgh', 'ij']);
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
