// The one command table's behaviour: how each socket command of SPEC §3 runs and prints, for the
// one-shot CLI and the shell alike. Names, usage and flags live in command-data.ts.
import type { Client } from '../control/client.js';
import { TendError } from '../core/errors.js';
import { parseArgs, parseTimeout, UsageError } from './args.js';
import { COMMANDS } from './command-data.js';
import { eventLine, logLine, statusTable, type EventLine, type LogLineData, type Row } from './format.js';

export { COMMANDS };

/** Where a command prints and how it reaches the daemon. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  color: boolean;
  connect(): Promise<Client>;
  /** aborts a follow stream (Ctrl-C in the shell) */
  signal?: AbortSignal;
}

/** Exit codes of SPEC §3. */
export const EXIT = { ok: 0, failed: 1, usage: 2, noDaemon: 3 } as const;

/** The long flag names each socket command accepts. */
const FLAGS: Record<string, string[]> = {
  status: ['json'],
  start: ['json', 'timeout', 'no-wait'],
  stop: ['json', 'timeout', 'no-wait'],
  restart: ['json', 'timeout', 'no-wait'],
  signal: ['json'],
  why: ['json'],
  reload: ['json', 'dry-run'],
  logs: ['json', 'lines', 'follow'],
  events: ['json', 'lines', 'follow'],
  shutdown: ['json'],
};

/** Names of the commands that go to the daemon. */
export const SOCKET_COMMANDS = Object.keys(FLAGS);

function usageOf(name: string): string {
  const d = COMMANDS.find((c) => c.name === name);
  return d ? `usage: tend ${d.usage}` : '';
}

function lines(flags: Record<string, string | true>): number | undefined {
  const v = flags.lines;
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`-n: expected a whole number; got "${String(v)}"`);
  return n;
}

function timeout(flags: Record<string, string | true>): number | undefined {
  return typeof flags.timeout === 'string' ? parseTimeout(flags.timeout) : undefined;
}

function list(ids: string[]): string {
  return ids.join(', ');
}

/** Builds the request of a command from its words; throws UsageError. */
export function buildRequest(name: string, argv: string[]): { args: Record<string, unknown>; flags: Record<string, string | true> } {
  const { positionals: pos, flags } = parseArgs(argv, FLAGS[name] ?? []);
  const need = (min: number, max: number, what: string): void => {
    if (pos.length < min || pos.length > max) throw new UsageError(`${name}: expected ${what}`);
  };
  switch (name) {
    case 'status':
      return { args: { names: pos }, flags };
    case 'start':
    case 'stop':
    case 'restart':
      need(1, Infinity, 'at least one service name (or "all")');
      return { args: { names: pos, timeout: timeout(flags), wait: !flags['no-wait'] }, flags };
    case 'signal':
      need(2, 2, 'a service name and a signal');
      return { args: { names: [pos[0]], signal: pos[1] }, flags }; // the daemon validates it
    case 'why':
      need(1, Infinity, 'a service name');
      return { args: { names: pos }, flags };
    case 'reload':
      need(0, 0, 'no arguments');
      return { args: { dry_run: flags['dry-run'] === true }, flags };
    case 'logs':
      need(1, Infinity, 'a service name (or "all")');
      return { args: { names: pos, lines: lines(flags) ?? 100, follow: flags.follow === true }, flags };
    case 'events':
      need(0, 0, 'no arguments');
      return { args: { lines: lines(flags) ?? 100, follow: flags.follow === true }, flags };
    case 'shutdown':
      need(0, 0, 'no arguments');
      return { args: {}, flags };
    default:
      throw new UsageError(`unknown command "${name}"`);
  }
}

/** Runs one socket command; returns its exit code. Never throws. */
export async function runCommand(name: string, argv: string[], io: Io): Promise<number> {
  let req;
  try {
    req = buildRequest(name, argv);
  } catch (err) {
    io.err(`tend: ${(err as Error).message}\n${usageOf(name)}\n`);
    return EXIT.usage;
  }
  if (req.flags.help) {
    io.out(`${usageOf(name)}\n`);
    return EXIT.ok;
  }
  let client: Client | undefined;
  try {
    client = await io.connect();
    return await execute(name, req.args, req.flags.json === true, client, io);
  } catch (err) {
    return reportError(err, io);
  } finally {
    client?.close();
  }
}

/** Prints an error and picks the exit code: 3 no daemon, 2 bad request/config, 1 otherwise. */
export function reportError(err: unknown, io: Pick<Io, 'err'>): number {
  const e = err as TendError;
  const code = e instanceof TendError ? e.code : 'internal';
  io.err(`tend: ${e.message}\n`);
  if (code === 'no_daemon' || code === 'bad_socket_path') return EXIT.noDaemon;
  if (code === 'bad_request' || code === 'invalid_config' || code === 'unknown_command') return EXIT.usage;
  return EXIT.failed;
}

async function follow(client: Client, cmd: string, args: Record<string, unknown>, io: Io, print: (e: unknown) => void): Promise<number> {
  const s = client.stream(cmd, args, print);
  const abort = (): void => s.close();
  io.signal?.addEventListener('abort', abort);
  try {
    await s.done;
  } finally {
    io.signal?.removeEventListener('abort', abort);
  }
  return EXIT.ok;
}

async function execute(name: string, args: Record<string, unknown>, json: boolean, client: Client, io: Io): Promise<number> {
  const print = (v: unknown): void => io.out(JSON.stringify(v) + '\n');
  if (name === 'logs' && args.follow) {
    const multi = (args.names as string[]).length > 1 || (args.names as string[]).includes('all');
    return follow(client, 'logs', args, io, (e) => io.out((json ? JSON.stringify(e) : logLine(e as LogLineData, multi, io.color)) + '\n'));
  }
  if (name === 'events' && args.follow) {
    return follow(client, 'events', args, io, (e) => io.out((json ? JSON.stringify(e) : eventLine(e as EventLine, io.color)) + '\n'));
  }
  const result = (await client.request(name, args)) as Record<string, unknown>;
  switch (name) {
    case 'status': {
      const rows = result.services as Row[];
      if (json) print(rows);
      else {
        io.out(statusTable(rows, io.color) + '\n');
        if (result.config_error) io.err(`tend: the config on disk is broken; running the last good one:\n${String(result.config_error)}\n`);
      }
      return EXIT.ok;
    }
    case 'start':
    case 'stop':
    case 'restart': {
      if (json) return print(result), EXIT.ok;
      const also = (result.also as string[] | undefined) ?? [];
      const main = (result.started ?? result.stopped ?? result.restarted) as string[];
      if (name === 'stop' && also.length) io.out(`stopped ${list(also)} first (they depend on ${list(main)})\n`);
      const verb = name === 'start' ? 'started' : name === 'stop' ? 'stopped' : 'restarted';
      io.out(`${verb} ${list(main)}${name === 'start' && also.length ? ` (and dependencies ${list(also)})` : ''}\n`);
      return EXIT.ok;
    }
    case 'signal':
      if (json) print(result);
      else io.out(`${result.signal as string} sent to ${list(result.signalled as string[])}\n`);
      return EXIT.ok;
    case 'why':
      if (json) print(result);
      else io.out(`${result.text as string}\n`);
      return EXIT.ok;
    case 'logs': {
      const ls = result.lines as LogLineData[];
      if (json) return print(ls), EXIT.ok;
      const multi = new Set(ls.map((l) => l.service)).size > 1;
      const width = Math.max(0, ...ls.map((l) => l.service.length));
      for (const l of ls) io.out(logLine(l, multi, io.color, width) + '\n');
      return EXIT.ok;
    }
    case 'events': {
      const es = result.events as EventLine[];
      if (json) return print(es), EXIT.ok;
      for (const e of es) io.out(eventLine(e, io.color) + '\n');
      return EXIT.ok;
    }
    case 'reload': {
      if (json) return print(result), EXIT.ok;
      io.out(`${(result.text as string) ?? ''}\n`);
      return EXIT.ok;
    }
    case 'shutdown':
      if (json) print(result);
      else io.out('shutting down\n');
      return EXIT.ok;
  }
  return EXIT.ok;
}
