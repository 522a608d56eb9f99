// `tend up -d`: the daemon in the background. Starts `tend up` detached (detach.ts), waits until
// every service wanted up has started or failed (the `wait` request), prints the status table and
// exits: 0, or 1 with each failing instance's reason (the daemon stays up). When the service of
// `settings.exit_with` ended meanwhile, tend exits with it: that is said, with tend's exit code.
// When a daemon already answers on the socket, nothing is started twice: it says so, starts the
// named services if any (as `tend start`), prints the status and exits 0.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '../control/client.js';
import { shownPath as shown } from '../core/describe.js';
import { TendError } from '../core/errors.js';
import type { Spec } from '../core/types.js';
import { unknownNames } from '../daemon/select.js';
import { EXIT, type CliEnv, type Parsed } from './command.js';
import { type Detached, exitedWhileStarting, OUT_FILE, startDetached, untilEnded } from './detach.js';
import { reportError } from './run.js';
import { status } from './status.js';
import { failedText } from './wait.js';
import { unknownServices } from '../core/did-you-mean.js';

/** Prints the status table, as `tend status` does; whether the config on disk is broken (a reload refused it: said under the table). */
async function printStatus(client: Client, env: CliEnv): Promise<boolean> {
  const r = await client.request('status', {});
  status.print(r, env, {});
  return Boolean(r.config_error);
}

/** Why: `tend up -d` and `tend up -d NAME...` (see the file comment). `timeout`: ms to wait for the services. */
export async function upDetached(p: Parsed, env: CliEnv, timeout: number): Promise<number> {
  const names = p.positionals;
  const { connect } = await import('../control/client.js');
  const socket = await env.socketPath(p.flags);
  let client: Client | undefined;
  let badPath: TendError | undefined;
  try {
    client = await connect(socket);
  } catch (e) {
    if (!(e instanceof TendError) || (e.code !== 'no_daemon' && e.code !== 'bad_socket_path')) return reportError(e, env);
    // a settings.socket too long: the parse below says where, as tend check does (exit 2)
    if (e.code === 'bad_socket_path') badPath = e;
  }
  const file = env.configPath(p.flags);
  if (client) return alreadyUp(client, socket, file, names, timeout, env);

  const spec = await env.loadConfig(file, false, p.flags);
  if (!spec) return EXIT.usage;
  if (badPath) return reportError(badPath, env);
  if (!namesKnown(spec, names, env)) return EXIT.failed;
  const at = env.socketGiven(p.flags) ? socket : spec.settings.socket;
  const out = join(spec.settings.logDir, OUT_FILE);
  let d: Detached;
  const started = Date.now(); // the journal's entries of this run of tend, not of those before
  try {
    // the daemon takes this parse rather than parsing the file again (config/on-demand.ts parseHandoff)
    const handoff = (await import('../config/on-demand.js')).parseHandoff(file, spec);
    d = await startDetached({
      args: ['up', '-c', file, '--socket', at, ...names],
      mode: 'config',
      out,
      socket: at,
      connect,
      handoff,
    });
    client = d.client;
  } catch (e) {
    return reportError(e, env);
  }
  const pid = d.pid;
  try {
    const where = d.outError
      ? `its own output goes to ${d.out} (${shown(out)} cannot be written: ${d.outError})`
      : `its own output goes to ${shown(out)}`;
    env.out(`tend runs in the background (pid ${pid}); ${where}; tend shutdown stops it\n`);
    const r = await client.request('wait', { timeout });
    const st = await client.request('status', {});
    status.print(st, env, {});
    for (const f of r.failed) env.err(failedText(f));
    const name = spec.settings.exitWith;
    if (name && st.services.some((row) => row.service === name && (row.state === 'completed' || row.state === 'failed'))) {
      const code = await endedWith(d, spec, started, env, true);
      if (code !== undefined) return code;
    }
    return r.failed.length ? EXIT.failed : EXIT.ok;
  } catch (e) {
    const lost = e instanceof TendError && e.code === 'connection_lost';
    // the service of exit_with ended at once, and tend with it, before it answered
    const code = lost && spec.settings.exitWith ? await endedWith(d, spec, started, env, false) : undefined;
    if (code !== undefined) return code;
    // the daemon served its socket, then a later part of its start-up failed (a busy http port)
    const died = lost ? await exitedWhileStarting(d) : undefined;
    return reportError(died ?? e, env);
  } finally {
    client.close();
  }
}

/**
 * Why: with `settings.exit_with` (docs/config.md), a service that ends at once takes tend with it,
 * and "runs in the background" would not be true for long: waits until the daemon has exited
 * (its shutdown stops the others, within shutdown_timeout), then says so from the journal's
 * `exit-with` entry, and gives tend's exit code (the service's: docs/commands.md, "tend up -d").
 * `seen`: the status showed the service ended (else only the journal tells exit_with from another
 * cause). Undefined when the daemon did not exit so (another cause, or not within the bound).
 */
async function endedWith(d: Detached, spec: Spec, since: number, env: CliEnv, seen: boolean): Promise<number | undefined> {
  if (!(await untilEnded(d, spec.settings.shutdownTimeout + 10_000))) return undefined;
  const { journalFileOf, readJournal } = await import('../logs/journal-file.js');
  let why: string | undefined;
  try {
    const r = await readJournal(journalFileOf(spec.settings.logDir), { since, services: ['tend'] });
    try {
      for await (const batch of r.entries()) for (const e of batch) if (e.what === 'exit-with') why = e.why;
    } finally {
      await r.close();
    }
  } catch {
    // no journal (log_dir cannot be written): its code says it alone
  }
  const code = d.code();
  if ((why === undefined && !seen) || code === undefined) return undefined;
  // `web ended (exited with code 0): tend exits with 0`: what ended and how
  const ended = why?.replace(/: tend exits with \d+$/, '') ?? `${spec.settings.exitWith} ended`;
  const line = `${ended}; tend exited with it (settings.exit_with), exit code ${code ?? 'unknown'}`;
  if (code === 0) env.out(`${line}\n`);
  else env.err(`tend: ${line}; tend logs ${ended.split(' ')[0]} shows its output\n`);
  return code ?? EXIT.failed;
}

/**
 * A daemon already answers: say so, start what was named, show the status. One that runs another
 * config than `file` (or none, started by `tend run NAME -- CMD`) is not what was asked for: exit 1.
 */
async function alreadyUp(
  client: Client,
  socket: string,
  file: string,
  names: string[],
  timeout: number,
  env: CliEnv,
): Promise<number> {
  try {
    const { pid, config } = await client.request('ping', {});
    env.out(`tend already runs on ${shown(socket)} (pid ${pid})\n`);
    if (config !== file && existsSync(file)) {
      const runs = config ? `it runs ${shown(config)}` : 'it runs no config (started by tend run NAME -- CMD)';
      env.err(`tend: ${runs}, not ${shown(file)}: tend shutdown stops it, then tend up -d starts ${shown(file)}\n`);
      return EXIT.failed;
    }
    let code: number = EXIT.ok;
    if (names.length) {
      try {
        const r = await client.request('start', { names, timeout });
        env.out(`started ${r.started.join(', ')}${r.also.length ? ` (and dependencies ${r.also.join(', ')})` : ''}\n`);
      } catch (e) {
        code = reportError(e, env);
      }
    }
    // the file asked for is broken: the daemon runs its last good config, and `up -d` of this
    // file did not do what was asked (exit 2, as a broken file with no daemon)
    if (await printStatus(client, env)) return code === EXIT.ok ? EXIT.usage : code;
    return code;
  } catch (e) {
    return reportError(e, env);
  } finally {
    client.close();
  }
}

/** Whether the config has every name of `tend up NAME...`; if not, says which it lacks and the known ones (then exit 1, an unknown service). */
export function namesKnown(spec: Spec, names: readonly string[], env: Pick<CliEnv, 'err'>): boolean {
  const unknown = unknownNames(spec, names);
  if (unknown.length === 0) return true;
  const known = spec.services.map((s) => s.name);
  env.err(`tend: ${unknownServices(unknown, known)}\n`);
  return false;
}
