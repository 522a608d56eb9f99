import { describe, expect, test } from 'vitest';
import {
  didYouMean,
  editDistance,
  parseCommand,
  parseDuration,
  parseFd,
  parseHttpUrl,
  parseId,
  parseRegex,
  parseSignal,
  parseSize,
  parseTcp,
  parseUmask,
  ValueError,
} from '../../src/config/index.js';

describe('parseDuration (ms)', () => {
  test.each([
    ['250ms', 250],
    ['10s', 10_000],
    ['1.5s', 1500],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1h2m3s4ms', 3_723_004],
    ['1d', 86_400_000],
    ['2d', 172_800_000],
    ['1.5d', 129_600_000],
    ['1d12h', 129_600_000],
    ['1w', 604_800_000],
    ['1w2d3h', 788_400_000],
    ['0', 0],
    ['0s', 0],
    [' 2s ', 2000],
    ['3', 3000],
    // as --timeout and --since read them: a leading point, spaces between the parts, any case
    ['.5', 500],
    ['.5s', 500],
    ['10 s', 10_000],
    ['1h 30m', 5_400_000],
    ['1D', 86_400_000],
    ['2 d', 172_800_000],
    [10, 10_000],
    [0.25, 250],
    [0, 0],
  ] as const)('%j -> %d', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  test.each([
    ['10x'],
    [''],
    ['s'],
    ['1.s'],
    ['-1s'],
    ['.'],
    ['1.2.3s'],
    ['1 2s'],
    ['1y'],
    ['1mo'],
    ['1d12'],
    ['d1'],
    [-1],
    [Infinity],
    [null],
    [true],
    [[1]],
  ])('%j is an error', (input) => {
    expect(() => parseDuration(input)).toThrow(ValueError);
    expect(() => parseDuration(input)).toThrow(
      /^expected a duration like 250ms, 10s, 5m, 1h, 1h30m, 2d or a number of seconds; got /,
    );
  });
});

describe('parseSize (bytes, binary units)', () => {
  test.each([
    [512, 512],
    ['512', 512],
    ['100B', 100],
    ['512K', 512 * 1024],
    ['512k', 512 * 1024],
    ['10M', 10 * 1024 ** 2],
    ['1G', 1024 ** 3],
    ['2T', 2 * 1024 ** 4],
    ['1KB', 1024],
    ['10MB', 10 * 1024 ** 2],
    ['1GB', 1024 ** 3],
    ['4KiB', 4096],
    ['3MiB', 3 * 1024 ** 2],
    ['1gib', 1024 ** 3],
    ['1.5M', 1.5 * 1024 ** 2],
    ['64 M', 64 * 1024 ** 2],
  ] as const)('%j -> %d', (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });

  test.each([['12Q'], ['M'], [''], ['-1K'], ['1KK'], [-5], [null], [{}]])('%j is an error', (input) => {
    expect(() => parseSize(input)).toThrow(/^expected a size like 512K, 10M, 1G or a number of bytes; got /);
  });
});

describe('parseSignal', () => {
  test.each([
    ['TERM', 'SIGTERM'],
    ['SIGTERM', 'SIGTERM'],
    ['sigterm', 'SIGTERM'],
    ['term', 'SIGTERM'],
    ['SIGKILL', 'SIGKILL'],
    ['hup', 'SIGHUP'],
    [15, 'SIGTERM'],
    ['9', 'SIGKILL'],
    [6, 'SIGABRT'], // not SIGIOT
    [29, 'SIGIO'], // not SIGPOLL
    ['usr1', 'SIGUSR1'],
  ] as const)('%j -> %s', (input, name) => {
    expect(parseSignal(input)).toBe(name);
  });

  test('errors, with a hint only when close', () => {
    expect(() => parseSignal('SIGTREM')).toThrow('expected a signal name like SIGTERM; got "SIGTREM" (did you mean "SIGTERM"?)');
    expect(() => parseSignal('hupp')).toThrow('expected a signal name like SIGTERM; got "hupp" (did you mean "SIGHUP"?)');
    expect(() => parseSignal('NOPE')).toThrow(/^expected a signal name like SIGTERM; got "NOPE"$/);
    expect(() => parseSignal(0)).toThrow('expected a signal name like SIGTERM or its number; got 0');
    expect(() => parseSignal(99)).toThrow('expected a signal name like SIGTERM or its number; got 99');
    expect(() => parseSignal(null)).toThrow('expected a signal name like SIGTERM; got null');
  });
});

describe('parseUmask', () => {
  test.each([
    ['022', 0o22],
    ['0022', 0o22],
    ['0o027', 0o27],
    ['777', 0o777],
    ['0', 0],
    [0o22, 0o22],
  ] as const)('%j -> %o', (input, mode) => {
    expect(parseUmask(input)).toBe(mode);
  });
  test.each([['18'], ['0999'], ['1000'], ['u=rwx'], [-1], [0o1000], [1.5], [true]])('%j is an error', (input) => {
    expect(() => parseUmask(input)).toThrow(/^expected an octal umask like "022"; got /);
  });
});

describe('parseId (user / group)', () => {
  test('names stay names, numbers and numeric strings become numbers', () => {
    expect(parseId('postgres')).toBe('postgres');
    expect(parseId('www-data')).toBe('www-data');
    expect(parseId(1000)).toBe(1000);
    expect(parseId('1000')).toBe(1000);
    expect(parseId(0)).toBe(0);
  });
  test.each([[''], ['a b'], [-1], [1.5], [null], [['x']]])('%j is an error', (input) => {
    expect(() => parseId(input)).toThrow(/^expected a name or a numeric id; got /);
  });
});

describe('commands and probe forms', () => {
  test('parseCommand', () => {
    expect(parseCommand('sleep 1')).toBe('sleep 1');
    expect(parseCommand(['sleep', 1])).toEqual(['sleep', '1']);
    expect(() => parseCommand('  ')).toThrow('expected a command string or a list of arguments; got "  "');
    expect(() => parseCommand([])).toThrow('got an empty list');
    expect(() => parseCommand(['', 'x'])).toThrow('expected a program name; got ""');
    try {
      parseCommand(['a', true]);
    } catch (e) {
      expect((e as ValueError).path).toEqual([1]);
      expect((e as Error).message).toBe('expected a string; got true');
    }
  });

  test('parseTcp', () => {
    expect(parseTcp('127.0.0.1:5432')).toEqual({ host: '127.0.0.1', port: 5432 });
    expect(parseTcp('db.local:1')).toEqual({ host: 'db.local', port: 1 });
    expect(parseTcp('[::1]:65535')).toEqual({ host: '::1', port: 65535 });
    for (const bad of ['host', ':80', 'h:', 'h:x', 'a b:1', '[::1]', '::1:80', 'http://h:80']) {
      expect(() => parseTcp(bad), bad).toThrow(`expected host:port, e.g. 127.0.0.1:5432; got ${JSON.stringify(bad)}`);
    }
    expect(() => parseTcp('h:65536')).toThrow('expected a port from 1 to 65535; got 65536');
    expect(() => parseTcp('h:0')).toThrow('expected a port from 1 to 65535; got 0');
    expect(parseTcp('10.0.255.1:80')).toEqual({ host: '10.0.255.1', port: 80 });
    for (const bad of ['256.1.1.1:80', '1.2.3:80', '1.2.3.4.5:80', '01.2.3.004:80']) {
      expect(() => parseTcp(bad), bad).toThrow(/expected an IPv4 address of four numbers from 0 to 255/);
    }
  });

  test('parseHttpUrl', () => {
    expect(parseHttpUrl('http://localhost:8080/health')).toBe('http://localhost:8080/health');
    expect(parseHttpUrl('https://[::1]/')).toBe('https://[::1]/');
    for (const bad of ['localhost:8080', '/health', 'ftp://h/', 'http://', 'x']) {
      expect(() => parseHttpUrl(bad), bad).toThrow(`expected an http:// or https:// URL; got ${JSON.stringify(bad)}`);
    }
  });

  test('parseRegex', () => {
    expect(parseRegex('ready on \\d+')).toBe('ready on \\d+');
    expect(() => parseRegex('(')).toThrow('expected a valid regular expression; got "(" (missing closing ): `(`)');
    // linear time: what needs backtracking is refused, naming why
    expect(() => parseRegex('(a)\\1')).toThrow('backreferences (\\1) are not supported: tend matches in linear time');
    expect(() => parseRegex('a(?=b)')).toThrow('lookahead ((?=...), (?!...)) is not supported');
    expect(parseRegex('^(a+)+$')).toBe('^(a+)+$');
    expect(() => parseRegex('')).toThrow('expected a regular expression; got ""');
  });

  test('parseFd', () => {
    expect(parseFd(3)).toBe(3);
    expect(parseFd(10)).toBe(10);
    for (const bad of [0, 1, 2, 3.5, '3']) expect(() => parseFd(bad)).toThrow(/^expected a file descriptor number >= 3; got /);
  });
});

describe('didYouMean', () => {
  const keys = ['restart', 'readiness', 'replicas', 'depends_on', 'env', 'env_file', 'stop_signal'];
  test.each([
    ['restrat', 'restart'],
    ['restar', 'restart'],
    ['replica', 'replicas'],
    ['dependsOn', 'depends_on'],
    ['depends', 'depends_on'],
    ['env_files', 'env_file'],
    ['ENV', 'env'],
    ['stop-signal', 'stop_signal'],
  ])('%s -> %s', (word, match) => {
    expect(didYouMean(word, keys)).toBe(match);
  });
  test('nothing when nothing is close', () => {
    expect(didYouMean('zzz', keys)).toBeUndefined();
    expect(didYouMean('', keys)).toBeUndefined();
    expect(didYouMean('x', ['y'])).toBe('y'); // one edit is always close enough
    expect(didYouMean('abcd', ['wxyz'])).toBeUndefined();
  });
  test('a word that begins a candidate beats a far edit, not a near one', () => {
    const caps = ['CAP_SETGID', 'CAP_SETUID', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_NET_ADMIN'];
    expect(didYouMean('CAP_NET_BIND', caps)).toBe('CAP_NET_BIND_SERVICE');
    expect(didYouMean('web', ['web2', 'webserver'])).toBe('web2');
    expect(didYouMean('work', ['worker', 'fork'])).toBe('fork'); // one edit: nearer than a longer name it begins
  });
  test('editDistance counts a swap as one edit', () => {
    expect(editDistance('restrat', 'restart')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });
});
