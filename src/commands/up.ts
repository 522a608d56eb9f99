// `tend up [NAME...] [-d]`: run the supervisor, in the foreground or (-d) in the background.
import type { LocalCommand } from './command.js';
import { EXIT } from './command.js';
import { resolve } from 'node:path';
import { takeDetachedMode } from './detach.js';
import { CONFIG_FLAG, SOCKET_FLAG } from './flags.js';
import { parseTimeout, UsageError } from './parse.js';
import { namesKnown, upDetached } from './up-detached.js';

/** `tend up`. */
export const up: LocalCommand = {
  name: 'up',
  summary: 'run the supervisor (in the foreground; -d: in the background)',
  args: [{ name: 'NAME', kind: 'service', optional: true, repeat: true }],
  flags: [
    { name: 'detach', short: 'd', help: 'run in the background: return once the services have started, printing the status' },
    {
      name: 'timeout',
      value: { label: 'D', kind: 'duration' },
      help: 'with -d: give up waiting for the services after D (default 60s)',
    },
    CONFIG_FLAG,
    { ...SOCKET_FLAG, help: 'serve on this socket instead of settings.socket' },
  ],
  examples: ['up -d', 'up web worker -c deploy/tend.yaml'],
  notes:
    "Service output goes to stdout, each line prefixed with the service's name (settings.echo: false turns it off); " +
    'state changes go to stderr. Ctrl-C (SIGINT) or SIGTERM stops every service, then tend exits. ' +
    'With NAME..., only those services and what they depend on start; the others stay stopped (tend start starts them). ' +
    '-d returns once every service wanted up has started (exit 0) or one failed (exit 1, with why; tend keeps running), ' +
    "printing the status; tend's own output then goes to log_dir/tend.out. When a daemon already runs on the socket, -d says so and starts only the named services.",
  where: 'cli',
  elsewhere: 'up starts a daemon (tend up -d, in a terminal); this shell talks to the one on its socket',
  async run(p, env) {
    // `tend up` started in the background by -d, or by `tend run NAME -- CMD` with no config
    const mode = takeDetachedMode();
    const t = p.flags.timeout;
    if (t !== undefined && !p.flags.detach) {
      env.err(
        'tend: --timeout: only with -d (the foreground tend up waits for nothing)\nusage: tend up [NAME...] [-d] [--timeout D] [-c FILE] [--socket PATH]\n',
      );
      return EXIT.usage;
    }
    let timeout = 60_000;
    try {
      if (typeof t === 'string') timeout = parseTimeout(t);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      env.err(`tend: ${e.message}\n`);
      return EXIT.usage;
    }
    if (p.flags.detach && !mode) return upDetached(p, env, timeout);
    const spec =
      mode === 'bare'
        ? await env.emptySpec(p.flags)
        : await env.loadConfig(env.configPath(p.flags), true, p.flags, mode === 'config');
    if (!spec) return EXIT.usage;
    const names = p.positionals;
    if (!namesKnown(spec, names, env)) return EXIT.failed;
    const socket = p.flags.socket;
    // in the background, the echo of the services' output would only fill tend.out: the log files have it
    // (the command line's settings: a reload keeps them, and does not take them for changes of the file)
    const overrides = {
      ...(typeof socket === 'string' ? { socket: resolve(socket) } : {}),
      ...(mode ? { echo: false } : {}),
    };
    return env.runDaemon({ ...spec, settings: { ...spec.settings, ...overrides } }, { only: names, settings: overrides });
  },
};
