import { describe, expect, it } from 'vitest';
import { CLI_COMMANDS, COMMANDS, findCommand, SHELL_COMMANDS } from '../../src/commands/index.js';
import { cliHelpText, commandHelp, helpText, synopsis, wrapWords } from '../../src/commands/help-text.js';
import { usageOf } from '../../src/commands/parse.js';

const logs = findCommand('logs')!;

describe('helpText (the shell)', () => {
  it('lists every command with its arguments and summary', () => {
    const text = helpText(SHELL_COMMANDS);
    for (const c of SHELL_COMMANDS) expect(text).toContain(`  ${synopsis(c)}`);
    expect(text).toMatch(/^commands:\n {2}status \[NAME\.\.\.\] +one row a service/);
    expect(text).toContain('Ctrl-R');
    expect(text).not.toMatch(/\n {2}(up|check|shell|version|ping) /);
  });
  it('explains one command: usage, summary, every flag the shell takes, notes, examples', () => {
    expect(helpText(SHELL_COMMANDS, 'logs')).toBe(
      [
        'usage: logs NAME... [-n N] [-f] [--since T] [--until T] [--grep RE] [-i] [-t] [--json]',
        '  lines services printed, from their log files (last 100, or -n N, --since, --grep); -f follows',
        '',
        'flags:',
        '  -n, --lines N      the last N lines (default 100; all: every line; with --grep, the last N matching)',
        '  -f, --follow       keep printing new lines as they come (Ctrl-C stops)',
        '      --since T      from time T: a duration back (10m, -2h, 10m ago) or ahead (+10s), a time today (10:00), a date (2026-12-05), a date and time, @EPOCH, now, today, yesterday',
        '      --until T      up to time T (the same forms as --since)',
        '      --grep RE      only lines matching the regex RE (JavaScript syntax, run in linear time)',
        '  -i, --ignore-case  with --grep: ignore case',
        "  -t, --timestamps   show each line's time",
        '      --json         one JSON object a line: {ts, instance, stream, line}',
        '  -h, --help         show this help',
        '',
        "Lines of several instances are prefixed with the name; stderr lines are marked err. Lines rotated away past logs.keep are said to be gone, on stderr. The files are read by tend logs itself: it works with no daemon running (the config's log_dir). NAME may be all, or a replica set name for all of its instances.",
        '',
        'examples:',
        '  logs web -n 20',
        '  logs all -f --since 10m --grep "timeout|refused" -i -t',
      ].join('\n'),
    );
    expect(helpText(SHELL_COMMANDS, 'top')).toMatch(/^usage: top\n {2}a live table of services \(q returns to the prompt\)\n/);
  });
  it('wraps to a width: side by side when the summary column has room, stacked below that', () => {
    for (const width of [100, 80, 60]) {
      const text = helpText(SHELL_COMMANDS, undefined, width);
      for (const line of text.split('\n')) expect(line.length, `${width}: ${line}`).toBeLessThanOrEqual(width);
      for (const c of SHELL_COMMANDS) expect(text).toContain(`  ${synopsis(c)}`);
    }
    expect(helpText(SHELL_COMMANDS, undefined, 60)).toContain(
      '\n  events [NAME...]    the journal: every action and exit,\n                      with time and reason',
    );
    expect(helpText(SHELL_COMMANDS, undefined, 30)).toContain('\n  why NAME...\n      explain why a service is\n');
    expect(
      helpText(SHELL_COMMANDS, 'events', 40)
        .split('\n')
        .every((l) => l.length <= 40),
    ).toBe(true);
  });
  it('wrapWords breaks at spaces and keeps an over-long word whole', () => {
    expect(wrapWords('aa bb cc', 5)).toEqual(['aa bb', 'cc']);
    expect(wrapWords('abcdefgh ij', 4)).toEqual(['abcdefgh', 'ij']);
  });
  it('suggests for an unknown topic', () => {
    expect(helpText(SHELL_COMMANDS, 'stauts')).toContain('did you mean "status"');
  });
});

describe('the CLI help', () => {
  it('`tend help` lists every CLI command and fits 80 columns', () => {
    const text = cliHelpText(CLI_COMMANDS, 80);
    for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    for (const c of CLI_COMMANDS) expect(text).toContain(`\n  ${synopsis(c)} `);
    expect(text).not.toMatch(/\n {2}(top|clear|exit|ping)\b/);
    expect(text).toContain('tend help COMMAND');
  });
  it('a command page shows -c and --socket where the CLI takes them', () => {
    const text = commandHelp(logs, 'cli', 80);
    // the usage wraps between flag groups
    expect(text).toMatch(
      /^usage: tend logs NAME\.\.\. \[-n N\] \[-f\] \[--since T\] \[--until T\] \[--grep RE\]\n {4}\[-i\] \[-t\] \[--json\]\n/,
    );
    expect(text).toContain('\n  -c, --config FILE  find the socket through this config');
    expect(text).toContain('\n      --socket PATH  ');
    expect(text).toContain('\nexamples:\n  tend logs web -n 20\n  tend logs all -f');
    for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(usageOf(findCommand('up')!)).toBe('up [NAME...] [-d] [--timeout D] [-c FILE] [--socket PATH]');
  });
  it('every command has a summary, an example of itself, and help for every flag', () => {
    for (const c of COMMANDS) {
      expect(c.summary, c.name).not.toBe('');
      expect(c.examples.length, c.name).toBeGreaterThan(0);
      expect(c.examples.length, c.name).toBeLessThanOrEqual(2);
      for (const e of c.examples) expect(e.split(' ')[0], c.name).toBe(c.name);
      for (const f of c.flags) expect(f.help, `${c.name} --${f.name}`).not.toBe('');
    }
  });
});
