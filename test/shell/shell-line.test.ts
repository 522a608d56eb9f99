import { describe, expect, it } from 'vitest';
import { COMMANDS, SHELL_COMMANDS } from '../../src/commands/index.js';
import { classifyLine, words } from '../../src/shell/shell-line.js';

const c = (line: string) => classifyLine(line, SHELL_COMMANDS);

describe('classifyLine', () => {
  it('recognises the shell-only commands', () => {
    expect(c('   ')).toEqual({ kind: 'empty' });
    expect(c('exit')).toEqual({ kind: 'exit' });
    expect(c('quit')).toEqual({ kind: 'exit' });
    expect(c('clear')).toEqual({ kind: 'clear' });
    expect(c('help')).toEqual({ kind: 'help' });
    expect(c('help logs')).toEqual({ kind: 'help', topic: 'logs' });
    expect(c(' top ')).toEqual({ kind: 'top' });
  });
  it('gives their help for -h/--help and refuses other words (top opened, exit left)', () => {
    expect(c('top --help')).toEqual({ kind: 'help', topic: 'top' });
    expect(c('exit -h')).toEqual({ kind: 'help', topic: 'exit' });
    expect(c('quit --help')).toEqual({ kind: 'help', topic: 'exit' });
    expect(c('clear now --help')).toEqual({ kind: 'help', topic: 'clear' });
    expect(c('top foo')).toEqual({ kind: 'error', message: 'top: expected no arguments; "foo" is one word too many' });
    expect(c('clear now please')).toEqual({
      kind: 'error',
      message: 'clear: expected no arguments; "now" "please" are 2 words too many',
    });
  });
  it('hands one-shot commands to runLine with normalised spacing', () => {
    expect(c('  status   web  ')).toEqual({ kind: 'run', line: 'status web' });
    expect(c('logs web -n 5')).toEqual({ kind: 'run', line: 'logs web -n 5' });
    expect(c('events')).toEqual({ kind: 'run', line: 'events' });
  });
  it('turns a valid -f into a stream of its normalised line (run by runLine, interruptible)', () => {
    expect(c('logs web -f')).toEqual({
      kind: 'stream',
      cmd: 'logs',
      line: 'logs web -f',
      interrupted: 'stopped following the log of web',
    });
    expect(c('logs  web db -n 5 --follow --json --grep x -i')).toEqual({
      kind: 'stream',
      cmd: 'logs',
      line: 'logs web db -n 5 --follow --json --grep x -i',
      interrupted: 'stopped following the logs of web, db',
    });
    expect(c('events -f')).toEqual({
      kind: 'stream',
      cmd: 'events',
      line: 'events -f',
      interrupted: 'stopped following the events',
    });
    expect(c('events db -f')).toMatchObject({ interrupted: 'stopped following the events of db' });
  });
  it('says what Ctrl-C leaves going: the run of run -f, the start of start (run -f said nothing)', () => {
    expect(c('run backup -f')).toEqual({
      kind: 'run',
      line: 'run backup -f',
      interrupted: 'stopped following backup; the run goes on (stop backup ends it)',
    });
    expect(c('run backup')).toMatchObject({ interrupted: 'stopped waiting for backup; the run goes on (stop backup ends it)' });
    expect(c('run web -- sleep 9')).toMatchObject({ interrupted: 'stopped waiting; web goes on starting (stop web stops it)' });
    expect(c('start web')).toMatchObject({ interrupted: 'stopped waiting; web goes on starting (stop web stops it)' });
    expect(c('restart web db')).toMatchObject({
      interrupted: 'stopped waiting; web, db go on restarting (stop web db stops them)',
    });
    expect(c('stop all')).toMatchObject({ interrupted: 'stopped waiting; all go on stopping' });
    expect(c('shutdown')).toMatchObject({ interrupted: 'stopped waiting; the daemon goes on shutting down' });
    expect(c('wait web')).toMatchObject({ interrupted: 'stopped waiting; web goes on starting' });
    expect(c('wait web db')).toMatchObject({ interrupted: 'stopped waiting; web, db go on starting' });
    expect(c('wait')).toMatchObject({ interrupted: 'stopped waiting; the services go on starting' });
    // what does not wait, or waits for nothing that goes on, or is malformed: the bare ^C
    for (const line of ['run backup --no-wait', 'start web --no-wait', 'shutdown --no-wait', 'status', 'logs web', 'run']) {
      expect(c(line), line).toEqual({ kind: 'run', line });
    }
  });
  it('leaves a malformed follow to runLine, which prints the usage error', () => {
    for (const line of ['logs -f', 'logs web -f -n x']) expect(c(line)).toEqual({ kind: 'run', line });
  });
  it('answers the commands of the command line in one line each (they were "unknown command")', () => {
    const cliOnly = COMMANDS.filter((x) => x.where === 'cli' && !x.hidden);
    expect(cliOnly.map((x) => x.name)).toEqual(['init', 'up', 'check', 'shell', 'version', 'completion']);
    for (const cmd of cliOnly) {
      for (const line of [cmd.name, `${cmd.name} -d web`, `${cmd.name} --help`, `help ${cmd.name}`]) {
        expect(c(line), line).toEqual({ kind: 'error', message: cmd.elsewhere });
      }
    }
    expect(c('up')).toEqual({
      kind: 'error',
      message: 'up starts a daemon (tend up -d, in a terminal); this shell talks to the one on its socket',
    });
    expect(c('init')).toEqual({ kind: 'error', message: 'init writes a starter tend.yaml: run tend init in a terminal' });
    // the hidden one of completion scripts stays unknown
    expect(c('__complete services').kind).toBe('error');
    expect((c('__complete services') as { message: string }).message).toMatch(/^unknown command "__complete"/);
  });
  it('reads notices and its mode', () => {
    expect(c('notices')).toEqual({ kind: 'notices' });
    expect(c('notices failures')).toEqual({ kind: 'notices', mode: 'failures' });
    expect(c('notices off')).toEqual({ kind: 'notices', mode: 'off' });
    expect(c('notices --help')).toEqual({ kind: 'help', topic: 'notices' });
    expect(c('notices loud')).toEqual({ kind: 'error', message: 'notices: expected on, failures or off; got "loud"' });
    expect(c('notices on now')).toEqual({
      kind: 'error',
      message: 'notices: expected on, failures or off; "now" is one word too many',
    });
  });
  it('suggests a command for a typo', () => {
    expect(c('stauts web')).toEqual({
      kind: 'error',
      message: 'unknown command "stauts" — did you mean "status"? (help lists the commands)',
    });
  });
  it('names an unterminated quote (it said unknown command ""unterminated")', () => {
    expect(c('"unterminated')).toEqual({ kind: 'error', message: 'unterminated quote: the " at column 1 is never closed' });
    expect(c("logs web --grep 'a b")).toEqual({
      kind: 'error',
      message: "unterminated quote: the ' at column 17 is never closed",
    });
    // closed, escaped, or inside the other quote: a plain line
    expect(c('logs web --grep "a b"').kind).toBe('run');
    expect(c("logs web --grep don\\'t").kind).toBe('run');
    expect(c('logs web --grep "say \\"hi\\""').kind).toBe('run');
    expect(c(`logs web --grep "it's"`).kind).toBe('run');
  });
  it('words splits on any whitespace', () => {
    expect(words(' a \t b  ')).toEqual(['a', 'b']);
  });
});
