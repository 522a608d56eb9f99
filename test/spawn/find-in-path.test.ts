// findInPath: how the launcher finds a command given without a slash (execvp's rules).
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandArgv, execFailed, findInPath } from '../../src/spawn/launcher.js';
import { tmpDir } from '../helpers/tmp.js';

const tmp = () => tmpDir('tend-path-');

describe('findInPath', () => {
  it('takes the first executable regular file along PATH; a slash means no search', () => {
    const a = tmp();
    const b = tmp();
    writeFileSync(join(a, 'tool'), '#!/bin/sh\n'); // not executable: skipped
    mkdirSync(join(b, 'tool.d'));
    writeFileSync(join(b, 'tool'), '#!/bin/sh\n');
    chmodSync(join(b, 'tool'), 0o755);
    expect(findInPath('tool', `${a}:${b}`)).toBe(join(b, 'tool'));
    expect(findInPath('tool.d', `${a}:${b}`)).toBeUndefined(); // a directory
    expect(findInPath('./x/y', `${a}`)).toBe('./x/y');
    expect(findInPath('sh', undefined)).toMatch(/\/sh$/); // the default PATH
  });

  it('does not remember a miss: a program installed after a failed start is found', () => {
    const a = tmp();
    expect(findInPath('later', a)).toBeUndefined();
    writeFileSync(join(a, 'later'), '#!/bin/sh\n');
    chmodSync(join(a, 'later'), 0o755);
    expect(findInPath('later', a)).toBe(join(a, 'later'));
  });
});

describe('commandArgv', () => {
  it('execs a simple command string directly for a service, and leaves the rest to /bin/sh -c', () => {
    const a = tmp();
    writeFileSync(join(a, 'tool'), '#!/bin/sh\n');
    chmodSync(join(a, 'tool'), 0o755);
    const direct = { path: a };
    expect(commandArgv('tool --port=80 -v a/b', direct)).toEqual(['tool', '--port=80', '-v', 'a/b']);
    expect(commandArgv('  tool\tx  ', direct)).toEqual(['tool', 'x']);
    expect(commandArgv('tool --port=80')).toEqual(['/bin/sh', '-c', 'tool --port=80']); // without `direct`: the shell
    for (const shell of [
      'tool $HOME',
      'tool "a b"',
      "tool 'a'",
      'tool *',
      'tool > f',
      'tool; tool',
      'tool | tool',
      'tool &',
      'X=1 tool',
      'tool ~',
      'tool # c',
      'tool `x`',
      'tool a\\ b',
      'echo hi',
      'exec tool',
      'cd /',
      'nosuch x',
      'tool\nx',
    ]) {
      expect(commandArgv(shell, direct), shell).toEqual(['/bin/sh', '-c', shell]);
    }
    expect(commandArgv(['tool', '$HOME'], direct)).toEqual(['tool', '$HOME']);
  });
});

describe('execFailed', () => {
  it('says an exec failure in words that say what to do, with the errno name', () => {
    expect(execFailed('./app.sh', 'EACCES')).toBe(
      'spawn ./app.sh: permission denied (not executable, or a folder on its path cannot be searched) (EACCES)',
    );
    expect(execFailed('nosuch', 'ENOENT')).toBe('spawn nosuch: not found (ENOENT)');
    expect(execFailed('x', 'ENOTDIR')).toBe('spawn x: not a directory (ENOTDIR)');
    expect(execFailed('x', 'EWHATEVER')).toBe('spawn x: failed (EWHATEVER)');
  });
});
