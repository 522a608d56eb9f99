#!/usr/bin/env node
// tend's entry point: argument parsing and dispatch. The one-shot path stays small: it loads the
// socket client and the printing code only; config, daemon and shell are imported lazily.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { resolveConfigPath } from './config/resolve.js';
import { parseArgs, UsageError } from './shell/args.js';
import { COMMANDS, EXIT, runCommand, SOCKET_COMMANDS } from './shell/commands.js';

const out = (s: string): void => void process.stdout.write(s);
const err = (s: string): void => void process.stderr.write(s);

function help(): string {
  const w = Math.max(...COMMANDS.map((c) => c.usage.length));
  const rows = COMMANDS.filter((c) => !['top', 'help', 'clear', 'exit'].includes(c.name)).map(
    (c) => `  tend ${c.usage.padEnd(w)}  ${c.summary}`,
  );
  return [
    'tend: a process supervisor',
    '',
    `  tend ${'up [-c FILE]'.padEnd(w)}  run the supervisor in the foreground`,
    `  tend ${'check [-c FILE]'.padEnd(w)}  validate a config without a daemon`,
    `  tend ${'shell'.padEnd(w)}  the interactive shell (also a bare \`tend\` on a terminal)`,
    ...rows,
    '',
    'Config: -c FILE, else $TEND_CONFIG, else ./tend.yaml. Socket: --socket PATH, else $TEND_SOCKET,',
    'else settings.socket of the config. Exit codes: 0 done, 1 failed, 2 usage or invalid config,',
    '3 no daemon answers on the socket.',
    '',
  ].join('\n');
}

/** -c, else $TEND_CONFIG, else ./tend.yaml; absolute. */
function configPath(flag: string | true | undefined): string {
  return resolveConfigPath({ config: typeof flag === 'string' ? flag : undefined, env: process.env, cwd: process.cwd() });
}

/** --socket, else $TEND_SOCKET, else settings.socket of the config (parsed only when it sets one). */
export async function socketPath(flags: Record<string, string | true>): Promise<string> {
  if (typeof flags.socket === 'string') return resolve(flags.socket);
  if (process.env.TEND_SOCKET) return resolve(process.env.TEND_SOCKET);
  const file = configPath(flags.config);
  const dir = dirname(file);
  const fallback = resolve(dir, '.tend/tend.sock');
  if (!existsSync(file)) return fallback;
  const text = readFileSync(file, 'utf8');
  if (!/\bsocket\s*:/.test(text)) return fallback; // the default: no YAML parser needed
  try {
    const { parse } = await import('yaml');
    const doc = parse(text) as { settings?: { socket?: unknown } } | null;
    const s = doc?.settings?.socket;
    return typeof s === 'string' ? resolve(dir, s) : fallback;
  } catch {
    return fallback;
  }
}

/** `up` loads the config through the parser it can let go of (config/on-demand.ts); `check` need not. */
async function loadConfig(file: string, daemon: boolean) {
  const { ConfigError } = await import('./core/errors.js');
  try {
    if (daemon) return await (await import('./config/on-demand.js')).loadSpecOnDemand(file);
    return (await import('./config/index.js')).loadSpec(file);
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

async function main(argv: string[]): Promise<number> {
  const cmd = argv[0];
  const rest = argv.slice(1);
  if (cmd === undefined) {
    if (process.stdin.isTTY && process.stdout.isTTY) return shell([]);
    err(help());
    return EXIT.usage;
  }
  if (cmd === 'help' || cmd === '--help' || cmd === '-h') {
    out(help());
    return EXIT.ok;
  }
  if (cmd === '--version' || cmd === 'version') {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    out(`tend ${pkg.version}\n`);
    return EXIT.ok;
  }
  if (cmd === 'up' || cmd === 'check') {
    if (cmd === 'up') (await import('./daemon/memory.js')).tuneV8();
    // every process tend starts, reaps or lets onto its socket goes through the addon
    const addonError = cmd === 'up' ? (await import('./sys/addon.js')).addonError : undefined;
    if (addonError) {
      err(`tend: cannot run the supervisor: ${addonError}\n`);
      return EXIT.usage;
    }
    const { flags, positionals } = parseArgs(rest, []);
    if (positionals.length) throw new UsageError(`${cmd}: unexpected argument "${positionals[0]}"`);
    const file = configPath(flags.config);
    const spec = await loadConfig(file, cmd === 'up');
    if (!spec) return EXIT.usage;
    if (cmd === 'check') {
      const n = spec.services.reduce((a, s) => a + s.replicas, 0);
      out(`${file}: ok (${spec.services.length} services, ${n} instances)\n`);
      return EXIT.ok;
    }
    // the parser's garbage (yaml, zod, their compiled code) goes now, before the services start:
    // with 100 services the daemon's peak RSS is 52 MB, not 57 (the collection once start-up
    // settles, see daemon.ts, is the one that takes start-up's own garbage)
    (await import('./daemon/memory.js')).collectGarbage();
    const { runDaemon } = await import('./daemon.js');
    const code = await runDaemon(spec, { stdout: process.stdout, stderr: process.stderr });
    // everything is stopped and closed: exit even if a stray handle would keep node alive
    setTimeout(() => process.exit(code), 200).unref();
    return code;
  }
  if (cmd === 'shell') return shell(rest);
  if (SOCKET_COMMANDS.includes(cmd)) {
    const { global, rest: own } = splitGlobal(rest);
    const path = await socketPath(global);
    const { connect } = await import('./control/client.js');
    return runCommand(cmd, own, {
      out,
      err,
      color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
      connect: () => connect(path),
    });
  }
  const { didYouMean } = await import('./shell/suggest.js');
  const hint = didYouMean(cmd, [...SOCKET_COMMANDS, 'up', 'check', 'shell', 'help']);
  err(`tend: unknown command "${cmd}"${hint ? ` (did you mean "${hint}"?)` : ''}\n${help()}`);
  return EXIT.usage;
}

/** Takes -c/--config/--socket (used to find the socket) out of a command's words. */
function splitGlobal(argv: string[]): { global: Record<string, string>; rest: string[] } {
  const global: Record<string, string> = {};
  const rest: string[] = [];
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!;
    const m = /^(-c|--config|--socket)(?:=(.*))?$/.exec(a);
    if (!m) {
      rest.push(a);
      continue;
    }
    const v = m[2] ?? argv[++k];
    if (v === undefined) throw new UsageError(`${m[1]} needs a value`);
    global[m[1] === '--socket' ? 'socket' : 'config'] = v;
  }
  return { global, rest };
}

async function shell(rest: string[]): Promise<number> {
  const { flags } = parseArgs(rest, []);
  const path = await socketPath(flags);
  const { startShell } = await import('./shell-entry.js');
  return startShell(path);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UsageError) {
      err(`tend: ${e.message}\n`);
      process.exitCode = EXIT.usage;
    } else {
      err(`tend: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = EXIT.failed;
    }
  },
);
