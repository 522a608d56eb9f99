// Runs one socket command from its words, for the one-shot CLI and the shell alike: parse, build
// the request, send it (or follow its stream), print the answer; returns the exit code.
import { type Client, untyped as untypedClient } from '../control/client.js';
import { TendError } from '../core/errors.js';
import { EXIT, type Parsed, type PrintIo, type RunIo, type SocketCommand } from './command.js';
import { commandHelp } from './help-text.js';
import { checkArgs, parseWords, usageOf } from './parse.js';

/** A command's request from its words (throws UsageError), and the parsed flags; undefined for --help. */
export function buildRequest<A>(
  cmd: SocketCommand<string, A>,
  argv: readonly string[],
): { args: A; flags: Parsed['flags'] } | undefined {
  const p = parseWords(cmd, argv);
  if (p.flags.help) return undefined;
  checkArgs(cmd, p);
  return { args: cmd.request(p), flags: p.flags };
}

/** Runs one socket command; returns its exit code. Never throws. */
export async function runCommand(cmd: SocketCommand, argv: readonly string[], io: RunIo): Promise<number> {
  const who = io.where ?? 'cli';
  let req;
  try {
    req = buildRequest(cmd, argv);
  } catch (err) {
    io.err(`tend: ${(err as Error).message}\nusage: ${who === 'cli' ? 'tend ' : ''}${usageOf(cmd, who === 'cli')}\n`);
    return EXIT.usage;
  }
  if (!req) {
    io.out(commandHelp(cmd, who, io.width ?? 80) + '\n');
    return EXIT.ok;
  }
  if (cmd.runLocal) return cmd.runLocal(req.args, req.flags.json === true, io);
  let client: Client | undefined;
  try {
    client = await io.connect();
    return await execute(cmd, req.args, req.flags.json === true, client, io);
  } catch (err) {
    return reportError(err, io);
  } finally {
    client?.close();
  }
}

/** Prints an error and picks the exit code: 3 no daemon (or none we may reach), 2 bad request/config, 1 otherwise. */
export function reportError(err: unknown, io: Pick<PrintIo, 'err'>): number {
  const e = err as TendError;
  const name = (err as Error | undefined)?.name;
  // by name, not class: logs and events run in a module loaded beside the bundled CLI (two copies of the class)
  const code = e instanceof TendError || name === 'TendError' ? e.code : 'internal';
  io.err(`tend: ${e.message}\n`);
  if (name === 'ConfigError') return EXIT.usage;
  if (code === 'no_daemon' || code === 'bad_socket_path' || code === 'permission_denied') return EXIT.noDaemon;
  if (code === 'bad_request' || code === 'invalid_config' || code === 'unknown_command') return EXIT.usage;
  return EXIT.failed;
}

async function execute<A, R, E>(
  cmd: SocketCommand<string, A, R, E>,
  args: A,
  json: boolean,
  client: Client,
  io: RunIo,
): Promise<number> {
  // the client is typed by command name; here the name is a variable, so the table's own types hold
  const untyped = untypedClient(client);
  if (cmd.streams?.(args)) {
    const printEvent = (e: E): void =>
      json ? io.out(JSON.stringify(cmd.jsonEvent ? cmd.jsonEvent(e) : e) + '\n') : cmd.printEvent?.(e, io, args);
    const noun = cmd.eventNoun ?? 'events';
    const printLag = (n: number): void => io.err(`tend: ${n} ${noun} skipped: this client read too slowly\n`);
    const s = untyped.stream(cmd.name, args, printEvent as (e: unknown) => void, printLag);
    const abort = (): void => s.close();
    io.signal?.addEventListener('abort', abort);
    let end: unknown;
    try {
      end = await s.done;
    } finally {
      io.signal?.removeEventListener('abort', abort);
    }
    // a stream that ends with a result (`tend run --follow`) prints it as a request would
    if (end === undefined || end === null || !cmd.exitCode) return EXIT.ok;
    return printResult(cmd, end as R, args, json, io);
  }
  // Ctrl-C in the shell ends the wait on the daemon's side too (its request is cancelled with the
  // connection; what it asked for goes on): the connection stayed open until the reply came
  const abort = (): void => client.close();
  io.signal?.addEventListener('abort', abort);
  try {
    let result = (await untyped.request(cmd.name, args)) as R;
    if (cmd.settle) result = await cmd.settle(result, args, client);
    return printResult(cmd, result, args, json, io);
  } finally {
    io.signal?.removeEventListener('abort', abort);
  }
}

function printResult<A, R, E>(cmd: SocketCommand<string, A, R, E>, result: R, args: A, json: boolean, io: RunIo): number {
  if (json) io.out(JSON.stringify(cmd.json ? cmd.json(result) : result) + '\n');
  else cmd.print(result, io, args);
  return cmd.exitCode?.(result) ?? EXIT.ok;
}
