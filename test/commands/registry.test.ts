// The command table: unique names, usage read off the words, and every command module registered
// (a new command is a new file in src/commands plus its line in index.ts; forgetting the line fails here).
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isSocketCommand, type Command } from '../../src/commands/command.js';
import { CLI_COMMANDS, COMMANDS, elsewhere, SHELL_COMMANDS, SOCKET_COMMANDS } from '../../src/commands/index.js';
import { usageOf } from '../../src/commands/parse.js';

const DIR = fileURLToPath(new URL('../../src/commands/', import.meta.url));

function looksLikeCommand(v: unknown): v is Command {
  return typeof v === 'object' && v !== null && 'name' in v && 'summary' in v && 'flags' in v && 'examples' in v;
}

describe('the command table', () => {
  it('has unique names and a usage that starts with the name', () => {
    const names = COMMANDS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const c of COMMANDS) expect(usageOf(c).split(' ')[0]).toBe(c.name);
  });

  it('lists every command module of src/commands', async () => {
    const found: string[] = [];
    for (const file of readdirSync(DIR).filter((f) => f.endsWith('.ts'))) {
      const mod = (await import(`${DIR}${file}`)) as Record<string, unknown>;
      for (const v of Object.values(mod)) if (looksLikeCommand(v)) found.push(v.name);
    }
    expect(found.sort()).toEqual(COMMANDS.map((c) => c.name).sort());
  });

  it('splits the commands between the CLI, the shell and the daemon', () => {
    // the commands the shell and the CLI share, in the same order in both
    const both = [
      'status',
      'start',
      'stop',
      'restart',
      'signal',
      'why',
      'reload',
      'logs',
      'events',
      'run',
      'history',
      'enable',
      'disable',
      'approve',
      'reject',
      'wait',
      'shutdown',
    ];
    expect(SHELL_COMMANDS.map((c) => c.name)).toEqual([...both, 'top', 'notices', 'help', 'clear', 'exit']);
    expect(CLI_COMMANDS.map((c) => c.name)).toEqual(['init', 'up', 'check', 'shell', ...both, 'help', 'version', 'completion']);
    expect(COMMANDS.filter(isSocketCommand)).toEqual([...SOCKET_COMMANDS]);
    // a command the CLI runs by itself has a run(); the shell-only ones are carried out by the shell
    for (const c of COMMANDS) {
      if (isSocketCommand(c)) continue;
      expect('run' in c, c.name).toBe(c.where !== 'shell');
    }
  });

  it('says where a command of one side is when typed on the other (it was "unknown command")', () => {
    for (const c of COMMANDS.filter((x) => x.where && !x.hidden)) {
      expect(c.elsewhere, c.name).toMatch(new RegExp(`^(${c.name}\\b|this is the shell)`));
      expect(c.elsewhere!.length, `${c.name}: one line in 100 columns`).toBeLessThanOrEqual(96);
      expect(elsewhere(c.name, c.where === 'cli' ? 'shell' : 'cli'), c.name).toBe(c.elsewhere);
      expect(elsewhere(c.name, c.where!), c.name).toBeUndefined();
    }
    // the hidden one and the commands of both sides are no one's business here
    for (const name of ['__complete', 'status', 'help', 'nonsense']) {
      expect([elsewhere(name, 'cli'), elsewhere(name, 'shell')], name).toEqual([undefined, undefined]);
    }
  });

  it('gives every flag and argument a kind of word, so completion scripts can be written from it', () => {
    for (const c of COMMANDS) {
      for (const f of c.flags) {
        expect(f.name, c.name).toMatch(/^[a-z][a-z-]*$/);
        if (f.short !== undefined) expect(f.short).toMatch(/^[a-z]$/);
        if (f.value) expect(f.value.label).toMatch(/^[A-Z]+$/);
      }
      c.args.forEach((a, k) => {
        expect(a.name).toMatch(/^[A-Z]+$/);
        if (a.repeat) expect(k, `${c.name}: only the last argument repeats`).toBe(c.args.length - 1);
      });
    }
  });

  it('names what a stream skips as what it streams: log lines for logs and run --follow', () => {
    const noun = (name: string) => SOCKET_COMMANDS.find((c) => c.name === name)?.eventNoun ?? 'events';
    expect([noun('logs'), noun('run'), noun('events')]).toEqual(['lines', 'lines', 'events']);
  });
});
