import { describe, expect, it } from 'vitest';
import { SHELL_COMMANDS } from '../../src/commands/index.js';
import { didYouMean, editDistance, suggest, unknownCommandMessage } from '../../src/commands/suggest.js';

const names = SHELL_COMMANDS.map((c) => c.name);

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['a', '', 1],
    ['', 'abc', 3],
    ['status', 'status', 0],
    ['stauts', 'status', 1],
    ['strat', 'start', 1],
    ['stat', 'start', 1],
    ['kitten', 'sitting', 3],
  ])('%s ~ %s = %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe('suggest', () => {
  it.each([
    ['stauts', 'status'],
    ['strat', 'start'],
    ['restrat', 'restart'],
    ['lgos', 'logs'],
    ['evnets', 'events'],
    ['relaod', 'reload'],
    ['STATUS', 'status'],
    ['shut', 'shutdown'],
    ['ex', 'exit'],
  ])('%s -> %s', (typo, want) => {
    expect(suggest(typo, names)).toBe(want);
  });
  it('gives nothing for far-off words or empty input', () => {
    expect(suggest('frobnicate', names)).toBeUndefined();
    expect(suggest('', names)).toBeUndefined();
    expect(suggest('xy', names)).toBeUndefined();
  });
  it('is exported as didYouMean for the CLI', () => {
    expect(didYouMean('stauts', names)).toBe('status');
  });
});

describe('unknownCommandMessage', () => {
  it('names the word and the suggestion', () => {
    expect(unknownCommandMessage('stauts', names)).toBe(
      'unknown command "stauts" — did you mean "status"? (help lists the commands)',
    );
    expect(unknownCommandMessage('frob', names)).toBe('unknown command "frob" (help lists the commands)');
  });
  it('names every command a short word begins, when there are a few', () => {
    expect(unknownCommandMessage('sta', names)).toBe(
      'unknown command "sta" — did you mean "start" or "status"? (help lists the commands)',
    );
    // one: that one; many (a single letter): the closest, as before
    expect(unknownCommandMessage('shu', names)).toBe(
      'unknown command "shu" — did you mean "shutdown"? (help lists the commands)',
    );
  });
});
