#!/usr/bin/env node
// tend's entry point: finds the command in the table (src/commands) and runs it. The one-shot path
// stays small: it loads the table, the socket client and the printing code only; config, daemon
// and shell are imported lazily. Help (`tend help`, `--help`, `-h`) never reads the config or the socket.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Client } from './control/client.js';
import { EXIT, isSocketCommand, type CliEnv, type Parsed } from './commands/command.js';
import { bareOutFile, readHandoff, startDetached } from './commands/detach.js';
import { cliHelpText, commandHelp } from './commands/help-text.js';
import { CLI_COMMANDS, COMMANDS, elsewhere, findCommand } from './commands/index.js';
import { holdSignals } from './sys/early-signals.js';
import { checkArgs, parseWords, usageOf, UsageError } from './commands/parse.js';
import { runCommand } from './commands/run.js';
import { shell } from './commands/shell.js';
import { noConfigMessage, type ConfigSource } from './commands/no-config.js';
import { commandHint } from './commands/suggest.js';
import { resolveConfigPath } from './config/resolve.js';
import { TendError } from './core/errors.js';
import { scanSocketSetting } from './config/socket-setting.js';

const out = (s: string): void => void process.stdout.write(s);
const err = (s: string): void => void process.stderr.write(s);
/** help fits 80 columns, or a narrower terminal */
const width = Math.min(80, process.stdout.columns || 80);

/** -c, else $TEND_CONFIG, else ./tend.yaml; absolute. */
function configPath(flags: Parsed['flags']): string {
  const flag = flags.config;
  return resolveConfigPath({ config: typeof flag === 'string' ? flag : undefined, env: process.env, cwd: process.cwd() });
}

/** Where configPath's answer comes from, for the message when there is no file there. */
function configSource(flags: Parsed['flags']): ConfigSource {
  return typeof flags.config === 'string' && flags.config ? 'flag' : process.env.TEND_CONFIG ? 'env' : 'default';
}

/** The no-config message when the config file is missing, else undefined. */
function noConfig(flags: Parsed['flags']): string | undefined {
  const file = configPath(flags);
  return existsSync(file) ? undefined : noConfigMessage(file, configSource(flags), process.cwd());
}

/** Whether the socket is named outright (--socket, $TEND_SOCKET) rather than found through the config. */
function socketGiven(flags: Parsed['flags']): boolean {
  return typeof flags.socket === 'string' || Boolean(process.env.TEND_SOCKET);
}

/**
 * --socket, else $TEND_SOCKET, else settings.socket of the config, found by a line scan (no YAML
 * parser: it costs start-up time, and a file broken elsewhere still names its socket).
 */
export async function socketPath(flags: Parsed['flags']): Promise<string> {
  if (typeof flags.socket === 'string') return resolve(flags.socket);
  if (process.env.TEND_SOCKET) return resolve(process.env.TEND_SOCKET);
  const file = configPath(flags);
  const dir = dirname(file);
  const fallback = resolve(dir, '.tend/tend.sock');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return fallback; // no config (or none readable): the default, and the error names it
  }
  if (!/\bsocket\s*:/.test(text)) return fallback;
  const s = scanSocketSetting(text);
  return s === undefined ? fallback : resolve(dir, s);
}

/** Sets the daemon's process up (V8 flags); false, after saying why, when it cannot supervise here. */
async function prepareDaemon(): Promise<boolean> {
  (await import('./daemon/memory.js')).tuneV8();
  // every process tend starts, reaps or lets onto its socket goes through the addon
  const { addonError } = await import('./sys/addon.js');
  if (addonError) err(`tend: cannot run the supervisor: ${addonError}\n`);
  return !addonError;
}

/** `up` loads the config through the parser it can let go of (config/on-demand.ts); `check` need not. */
async function loadConfig(file: string, daemon: boolean, flags: Parsed['flags'] = {}, handed = false) {
  if (!existsSync(file)) {
    err(noConfigMessage(file, configSource(flags), process.cwd()));
    return undefined;
  }
  const { ConfigError } = await import('./core/errors.js');
  try {
    if (daemon) {
      // parsed in this thread up to START_WORKER_BYTES: nothing waits on the loop yet (a worker
      // would cost 150-450 ms more); the worker's heap bound still guards a larger file. The V8
      // flags come first: parsed before them, the optimizing compiler's code and a grown young
      // generation stayed resident (idle RSS 75 MB against 63, 100 services)
      const { loadSpecOnDemand, START_WORKER_BYTES, takeHandoff } = await import('./config/on-demand.js');
      // the parse `tend up -d` made before starting this daemon: the file is not parsed twice
      const bytes = handed ? readHandoff() : undefined;
      if (!(await prepareDaemon())) return undefined;
      return (bytes && takeHandoff(bytes, file)) || (await loadSpecOnDemand(file, { workerBytes: START_WORKER_BYTES }));
    }
    // `tend up -d` before it detaches: the bundled parser too (one file to read, not the hundreds
    // of yaml's and zod's modules: ~100 ms sooner here), and in this thread whatever the size
    const { loadSpecOnDemand } = await import('./config/on-demand.js');
    return await loadSpecOnDemand(file, { workerBytes: Number.POSITIVE_INFINITY });
  } catch (e) {
    if (e instanceof ConfigError) {
      err(`${e.message}\n`);
      return undefined;
    }
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      err(`tend: no config file at ${file} (use -c FILE or $TEND_CONFIG)\n`);
      return undefined;
    }
    throw e;
  }
}

const env: CliEnv = {
  out,
  err,
  color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
  terminal: Boolean(process.stdin.isTTY && process.stdout.isTTY),
  commands: CLI_COMMANDS,
  width,
  configPath,
  socketPath,
  socketGiven,
  noConfig,
  loadConfig,
  async emptySpec(flags) {
    if (!(await prepareDaemon())) return undefined;
    const { bareSpec } = await import('./daemon/bare-spec.js');
    return bareSpec(dirname(configPath(flags)), typeof flags.socket === 'string' ? flags.socket : undefined);
  },
  async runDaemon(spec, opts) {
    // the parser's garbage (yaml, zod, their compiled code) goes now, before the services start:
    // with 100 services the daemon's peak RSS is 52 MB, not 57 (the collection once start-up
    // settles, see daemon.ts, is the one that takes start-up's own garbage, and the code pages
    // only start-up used: here the daemon's start-up is still to run)
    (await import('./daemon/memory.js')).collectGarbage(false);
    const { runDaemon } = await import('./daemon.js');
    const code = await runDaemon(spec, { stdout: process.stdout, stderr: process.stderr }, opts);
    // everything is stopped and closed: exit even if a stray handle would keep node alive
    setTimeout(() => process.exit(code), 200).unref();
    return code;
  },
  async startShell(socket, configFile) {
    const { startShell } = await import('./shell-entry.js');
    return startShell(socket, configFile);
  },
  version() {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  },
};

/**
 * A daemon for this folder with no config, for `tend run NAME -- CMD` where neither a daemon nor
 * a config is found: its socket is where the config's would be; `tend shutdown` stops it.
 */
async function startBare(path: string, flags: Parsed['flags'], connect: (p: string) => Promise<Client>): Promise<Client> {
  const dir = dirname(configPath(flags));
  const args = ['up', '--socket', path, ...(typeof flags.config === 'string' ? ['-c', flags.config] : [])];
  const d = await startDetached({ args, mode: 'bare', out: bareOutFile(dir), socket: path, connect });
  const kept = d.outError ? `; its own output goes to ${d.out} (${d.outError})` : '';
  err(`tend: no daemon here: started one for ${dir} (pid ${d.pid})${kept}; tend shutdown stops it\n`);
  return d.client;
}

/** stdout failed: closed by its reader (EPIPE) is a normal end, exit 0; anything else, exit 1. */
function stdoutGone(e: NodeJS.ErrnoException): void {
  if (e.code !== 'EPIPE') err(`tend: cannot write to stdout: ${e.message}\n`);
  process.exit(e.code === 'EPIPE' ? EXIT.ok : EXIT.failed);
}

/** The word a flag-like first argument stands for: `-h` is help, `-v` is version. */
const ALIASES: Record<string, string> = { '-h': 'help', '--help': 'help', '-v': 'version', '--version': 'version' };

/**
 * `tend -c FILE status`, `tend --socket PATH logs web`: the flags that find the daemon may come
 * before the command too (as `systemctl --user status`); they are moved after the command's name
 * (not to the end: after `--` they would be a transient command's words). With no command
 * (`tend -c FILE`) they are the shell's, as a bare `tend` is.
 */
function globalFlagsFirst(argv: readonly string[]): string[] {
  const lead: string[] = [];
  let k = 0;
  while (k < argv.length) {
    const a = argv[k]!;
    if ((a === '-c' || a === '--config' || a === '--socket') && k + 1 < argv.length) {
      lead.push(a, argv[k + 1]!);
      k += 2;
    } else if (a.startsWith('--config=') || a.startsWith('--socket=')) {
      lead.push(a);
      k += 1;
    } else break;
  }
  if (lead.length === 0) return [...argv];
  // with no command on a terminal, the shell's; with none, as a bare `tend`: the help (exit 2)
  if (k >= argv.length) return env.terminal ? ['shell', ...lead] : [];
  return [argv[k]!, ...lead, ...argv.slice(k + 1)];
}

async function main(given: string[]): Promise<number> {
  const argv = globalFlagsFirst(given);
  const first = argv[0];
  if (first === undefined) {
    if (env.terminal) return shell.run!({ positionals: [], flags: {} }, env);
    err(cliHelpText(CLI_COMMANDS, width));
    const missing = noConfig({});
    if (missing) err(`\n${missing}`);
    return EXIT.usage;
  }
  const name = ALIASES[first] ?? first;
  const cmd = findCommand(
    name,
    COMMANDS.filter((c) => c.where !== 'shell'),
  );
  if (!cmd) {
    // `top`, `clear`, `exit`: commands of the shell, not unknown words
    const other = elsewhere(name, 'cli');
    if (other) {
      err(`tend: ${other}\n`);
      return EXIT.usage;
    }
    const hint = commandHint(
      name,
      CLI_COMMANDS.map((c) => c.name),
    );
    err(`tend: unknown command "${name}"${hint ? ` (did you mean ${hint}?)` : ''}\n${cliHelpText(CLI_COMMANDS, width)}`);
    return EXIT.usage;
  }
  const words = argv.slice(1);
  // a reader that goes away (`tend events | head -1`) ends the command quietly, as it does `cat`;
  // not `up` (but `up -d`), whose stdout is an echo it may lose, nor the shell, which owns its terminal
  const daemon = cmd.name === 'up' && !words.some((w) => w === '-d' || w === '--detach');
  // a stop signal before the daemon's handlers are in place is kept for them (PID 1 lost it)
  if (daemon) holdSignals();
  if (!daemon && cmd.name !== 'shell') process.stdout.on('error', stdoutGone);
  if (isSocketCommand(cmd)) {
    // the socket is found from -c/--socket before the command's own words are checked
    let flags: Parsed['flags'] = {};
    try {
      flags = parseWords(cmd, words).flags;
    } catch {
      // runCommand reports the mistake with the usage
    }
    const path = flags.help ? '' : await socketPath(flags);
    const { connect } = await import('./control/client.js');
    // no daemon where the config would put it: with no config, say how to begin; with one, how
    // to start its daemon (not for shutdown, whose wish is met)
    const withHint = (e: unknown): never => {
      if (!(e instanceof TendError) || e.code !== 'no_daemon' || socketGiven(flags)) throw e;
      const missing = noConfig(flags);
      if (missing) throw new TendError('no_daemon', `${e.message}\n${missing.trimEnd()}`);
      if (cmd.name === 'shutdown') throw e;
      const file = configPath(flags);
      const how =
        configSource(flags) === 'flag'
          ? `\`tend up -d -c ${file}\` starts it`
          : `\`tend up -d\` starts it (the daemon of ${file})`;
      throw new TendError('no_daemon', `${e.message}\ntend: ${how}`);
    };
    // `tend run NAME -- CMD` where no daemon answers: one for this folder when it has no config
    const transient = cmd.name === 'run' && words.includes('--') && !flags.help;
    const reach = async (): Promise<Client> => {
      try {
        return await connect(path);
      } catch (e) {
        if (!transient || !(e instanceof TendError) || e.code !== 'no_daemon') return withHint(e);
        if (noConfig(flags)) return startBare(path, flags, connect);
        throw new TendError(
          'no_daemon',
          `${e.message}\ntend: \`tend up -d\` starts the daemon of ${configPath(flags)}; then tend run again`,
        );
      }
    };
    // logs and events read the config's files when no daemon answers: with no config, say how to
    // begin, as every other command does
    const configFile = (): string => {
      const missing = noConfig(flags);
      if (missing) throw new TendError('no_daemon', `no tend daemon answers on ${path}\n${missing.trimEnd()}`);
      return configPath(flags);
    };
    return runCommand(cmd, words, { out, err, color: env.color, width, connect: reach, configPath: configFile });
  }
  let p: Parsed;
  try {
    p = parseWords(cmd, words);
    if (!p.flags.help) checkArgs(cmd, p);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`tend: ${e.message}\nusage: tend ${usageOf(cmd)}\n`);
    return EXIT.usage;
  }
  if (p.flags.help) {
    out(commandHelp(cmd, 'cli', width) + '\n');
    return EXIT.ok;
  }
  return cmd.run!(p, env);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    err(`tend: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = EXIT.failed;
  },
);
