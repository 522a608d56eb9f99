import { describe, expect, it } from 'vitest';
import { commonPrefix, complete, serviceWords, valueFlags, type CompletionContext } from '../../src/commands/completion.js';
import { SHELL_COMMANDS as COMMANDS } from '../../src/commands/index.js';
import { lineOf } from '../../src/shell/line-editor.js';
import { applyCompletion, completeIn, formatColumns, pressTab } from '../../src/shell/tab.js';

const ctx: CompletionContext = {
  commands: COMMANDS,
  services: ['db', 'web.1', 'web.2', 'worker'],
  signals: ['SIGHUP', 'SIGINT', 'SIGKILL', 'SIGTERM', 'SIGTRAP', 'SIGUSR1', 'SIGUSR2'],
};
/** the line after one completion at its end */
const tab = (line: string) => applyCompletion(lineOf(line), complete(line, line.length, ctx)).text;
const cands = (line: string) => complete(line, line.length, ctx).candidates;

describe('complete: commands', () => {
  it('completes a unique command with a trailing space', () => {
    expect(tab('sta')).toBe('sta');
    expect(cands('sta')).toEqual(['start', 'status']);
    expect(tab('stat')).toBe('status ');
    expect(tab('re')).toBe('re'); // reload, restart
    expect(tab('rel')).toBe('reload ');
    expect(tab('  ev')).toBe('  events ');
  });
  it('extends to the common prefix', () => {
    expect(tab('s')).toBe('s'); // shutdown, signal, start, status, stop
    expect(tab('sto')).toBe('stop ');
    expect(complete('st', 2, ctx).replacement).toBe('st');
  });
  it('offers every command on an empty line, the shell-only ones too', () => {
    const all = cands('');
    expect(all).toEqual([...all].sort());
    for (const c of ['status', 'start', 'logs', 'top', 'help', 'exit', 'clear']) expect(all).toContain(c);
  });
  it('offers nothing for an unknown command or a word that matches none', () => {
    expect(cands('bogus ')).toEqual([]);
    expect(cands('zz')).toEqual([]);
    expect(tab('zz')).toBe('zz');
  });
});

describe('complete: services', () => {
  it('offers instances, replica sets and all', () => {
    expect(cands('start ')).toEqual(['all', 'db', 'web', 'web.1', 'web.2', 'worker']);
    expect(tab('start d')).toBe('start db ');
    expect(tab('start wo')).toBe('start worker ');
    expect(cands('start w')).toEqual(['web', 'web.1', 'web.2', 'worker']);
    expect(tab('start web.')).toBe('start web.');
  });
  it('repeats for NAME... and leaves out names already given', () => {
    expect(cands('stop db ')).not.toContain('db');
    expect(tab('stop db wor')).toBe('stop db worker ');
    expect(cands('status --json ')).toContain('db');
  });
  it('takes one service for a single NAME argument, then a signal', () => {
    expect(tab('history d')).toBe('history db ');
    expect(cands('history db ')).toEqual([]);
    expect(cands('why db ')).toContain('web'); // why takes NAME...
    expect(cands('signal ')).toContain('web.1');
  });
  it('skips a flag value when counting positions, and offers nothing for the value', () => {
    expect(cands('logs -n ')).toEqual([]);
    expect(tab('logs -n 50 d')).toBe('logs -n 50 db ');
    expect(cands('logs -f ')).toContain('db');
  });
  it('offers nothing for the value of any flag that takes one', () => {
    for (const line of [
      'logs db --since ',
      'logs db --until ',
      'logs db --grep ',
      'events --since ',
      'stop db --timeout ',
      'wait --timeout ',
    ])
      expect(cands(line)).toEqual([]);
  });
  it('approve and reject offer only the runs waiting for approval, and not all', () => {
    const gated = { ...ctx, services: [...ctx.services, 'deploy', 'deploy-db'], waiting: ['deploy', 'deploy-db'] };
    const line = (text: string) => applyCompletion(lineOf(text), completeIn(text, text.length, gated)).text;
    expect(completeIn('approve ', 8, gated).candidates).toEqual(['deploy', 'deploy-db']);
    expect(line('approve ')).toBe('approve deploy');
    expect(line('reject deploy-')).toBe('reject deploy-db ');
    expect(line('approve deploy d')).toBe('approve deploy deploy-db '); // a name given is not offered again
    expect(completeIn('approve ', 8, { ...gated, waiting: [] }).candidates).toEqual([]);
    // other commands as before
    expect(completeIn('stop ', 5, gated).candidates).toContain('all');
    expect(completeIn('appr', 4, gated).replacement).toBe('approve ');
  });
  it('offers the words an argument may be (notices: it offered nothing)', () => {
    expect(tab('notices f')).toBe('notices failures ');
    expect(cands('notices ')).toEqual(['failures', 'off', 'on']);
    expect(cands('notices o')).toEqual(['off', 'on']);
    expect(cands('notices off ')).toEqual([]);
  });
  it('takes nothing for commands without arguments', () => {
    expect(cands('reload ')).toEqual([]);
    expect(cands('shutdown ')).toEqual([]);
  });
});

describe('complete: signals', () => {
  it('completes a signal after the service, matching with or without SIG and in any case', () => {
    expect(tab('signal web SIGH')).toBe('signal web SIGHUP ');
    expect(tab('signal web hu')).toBe('signal web SIGHUP ');
    expect(tab('signal web sigk')).toBe('signal web SIGKILL ');
    expect(cands('signal web SIGT')).toEqual(['SIGTERM', 'SIGTRAP']);
    expect(tab('signal web sigt')).toBe('signal web SIGT');
    expect(tab('signal web USR')).toBe('signal web SIGUSR');
  });
});

describe('complete: flags and help', () => {
  it('completes flags after -', () => {
    expect(cands('logs web -')).toEqual([
      '--follow',
      '--grep',
      '--ignore-case',
      '--json',
      '--lines',
      '--since',
      '--timestamps',
      '--until',
      '-f',
      '-i',
      '-n',
      '-t',
    ]);
    expect(tab('status --j')).toBe('status --json ');
    expect(tab('reload --d')).toBe('reload --dry-run ');
    expect(cands('top -')).toEqual([]);
  });
  it('completes command names after help', () => {
    expect(tab('help rel')).toBe('help reload ');
    // two commands: the first Tab adds nothing, the second lists them
    expect(pressTab(lineOf('help sta'), ctx, true).list).toEqual(['start', 'status']);
    expect(cands('help reload ')).toEqual([]);
  });
});

describe('complete: cursor inside the line', () => {
  it('completes the word before the cursor and keeps the rest', () => {
    const line = 'start d web.1';
    const c = complete(line, 7, ctx);
    expect(c).toMatchObject({ start: 6, end: 7, replacement: 'db' });
    expect(applyCompletion({ text: line, cursor: 7 }, c)).toEqual({ text: 'start db web.1', cursor: 8 });
  });
  it('adds no space when one already follows', () => {
    const c = complete('stat web', 4, ctx);
    expect(c.replacement).toBe('status');
  });
});

describe('pressTab', () => {
  it('first Tab completes, a second Tab with nothing to add lists the candidates', () => {
    const first = pressTab(lineOf('st'), ctx, false);
    expect(first).toEqual({ line: lineOf('st'), list: null });
    const second = pressTab(first.line, ctx, true);
    expect(second.list).toEqual(['start', 'status', 'stop']);
  });
  it('a Tab that completes lists nothing', () => {
    expect(pressTab(lineOf('stat'), ctx, true)).toEqual({ line: lineOf('status '), list: null });
  });
  it('never lists a single or empty candidate set', () => {
    expect(pressTab(lineOf('zz'), ctx, true).list).toBeNull();
  });
});

describe('helpers', () => {
  it('serviceWords', () => {
    expect(serviceWords([])).toEqual(['all']);
    expect(serviceWords(['api.10', 'api.2', 'db'])).toEqual(['all', 'api', 'api.10', 'api.2', 'db']);
  });
  it("valueFlags are the table's flags that take a value, in every spelling", () => {
    expect([...valueFlags(COMMANDS.find((c) => c.name === 'logs')!)]).toEqual(['-n', '--lines', '--since', '--until', '--grep']);
    expect([...valueFlags(COMMANDS.find((c) => c.name === 'start')!)]).toEqual(['--timeout']);
    expect(valueFlags(COMMANDS.find((c) => c.name === 'status')!).size).toBe(0);
  });
  it('commonPrefix ignores case', () => {
    expect(commonPrefix(['SIGTERM', 'sigtrap'])).toBe('SIGT');
    expect(commonPrefix([])).toBe('');
    expect(commonPrefix(['a', 'b'])).toBe('');
  });
  it('formatColumns lays words out column by column within the width', () => {
    expect(formatColumns(['aa', 'bb', 'cc', 'dd', 'ee'], 12)).toEqual(['aa  cc  ee', 'bb  dd']);
    expect(formatColumns(['a-very-long-word', 'b'], 5)).toEqual(['a-very-long-word', 'b']);
    expect(formatColumns([], 80)).toEqual([]);
    for (const line of formatColumns(
      COMMANDS.map((c) => c.name),
      60,
    ))
      expect(line.length).toBeLessThanOrEqual(60);
  });
});
