// Parsers for the structured strings of a service: commands, tcp addresses, URLs, regexes, fds.
import { ValueError, expected } from './describe.js';
import { regexProblem } from '../logs/regex.js';
import { parseOctal } from './units.js';

/** A command: a non-empty string (run by /bin/sh -c) or a non-empty argv list (numbers stringified). */
export function parseCommand(v: unknown): string | string[] {
  const words = 'a command string or a list of arguments';
  if (typeof v === 'string') {
    if (v.trim() === '') throw new ValueError(expected(words, v));
    return v;
  }
  if (!Array.isArray(v) || v.length === 0) throw new ValueError(expected(words, v));
  return v.map((item, i) => {
    if (typeof item === 'number') return String(item);
    if (typeof item !== 'string' || (i === 0 && item.trim() === '')) {
      throw new ValueError(expected(i === 0 ? 'a program name' : 'a string', item), [i]);
    }
    return item;
  });
}

/** `host:port` or `[v6]:port`, port 1..65535. */
export function parseTcp(v: unknown): { host: string; port: number } {
  const words = 'host:port, e.g. 127.0.0.1:5432';
  if (typeof v !== 'string') throw new ValueError(expected(words, v));
  const m = /^\[([0-9A-Fa-f:.]+)\]:(\d{1,5})$/.exec(v.trim()) ?? /^([^\s:/[\]]+):(\d{1,5})$/.exec(v.trim());
  if (!m) throw new ValueError(expected(words, v));
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new ValueError(expected('a port from 1 to 65535', port));
  // digits and dots are an IPv4 address, never a name: 256.1.1.1 would fail only at the connect
  if (/^[\d.]+$/.test(m[1]!) && !/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(m[1]!))
    throw new ValueError(expected('an IPv4 address of four numbers from 0 to 255 (or a host name), then :port', v));
  return { host: m[1]!, port };
}

/** An absolute http:// or https:// URL. */
export function parseHttpUrl(v: unknown): string {
  const words = 'an http:// or https:// URL';
  if (typeof v !== 'string') throw new ValueError(expected(words, v));
  let url: URL;
  try {
    url = new URL(v.trim());
  } catch {
    throw new ValueError(expected(words, v));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ValueError(expected(words, v));
  return v.trim();
}

/**
 * A regular expression (JavaScript syntax) that tend's linear-time engine runs (logs/regex.ts):
 * no backreferences or lookahead, so no pattern can freeze the daemon on a long line.
 */
export function parseRegex(v: unknown): string {
  if (typeof v !== 'string' || v === '') throw new ValueError(expected('a regular expression', v));
  const problem = regexProblem(v);
  if (problem !== undefined)
    throw new ValueError(`${expected('a valid regular expression', v)} (${problem.replace(/^invalid regex \/.*\/: /s, '')})`);
  return v;
}

/** A file mode: octal digits as a string ("0640") or a number up to 0o777. */
export function parseFileMode(v: unknown): number {
  // unquoted, YAML reads 0640 as the number 640 and 0400 as 400 (0o620: another mode, in silence)
  if (typeof v === 'number') {
    throw new ValueError(
      `${expected('an octal file mode in quotes like "0640"', v)} (unquoted, YAML reads 0640 as the number 640)`,
    );
  }
  return parseOctal(v, 'an octal file mode like "0640"');
}

/** A file descriptor the service writes its readiness line to: an integer >= 3. */
export function parseFd(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 3) {
    throw new ValueError(expected('a file descriptor number >= 3', v));
  }
  return v;
}
