// Wires the Ink shell to the control socket: a reconnecting backend and the one-shot command runner.
// Loaded lazily by cli.ts only for `tend shell` (the one-shot path never loads Ink or React).
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isSocketCommand } from './commands/command.js';
import { findCommand, SHELL_COMMANDS } from './commands/index.js';
import { runCommand } from './commands/run.js';
import { splitWords } from './commands/words.js';
import { connect, type Client } from './control/client.js';
import { TendError } from './core/errors.js';
import type { ShellBackend } from './shell/backend.js';

/** A backend that reconnects when the daemon goes away and comes back. */
export function socketBackend(path: string): ShellBackend & { close(): void } {
  let client: Client | undefined;
  let connecting: Promise<Client> | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  const listeners = new Set<(c: boolean) => void>();
  // a failed attempt is told even when nothing changed: the shell may have subscribed after the first one
  const set = (c: boolean, always = false): void => {
    if (backend.connected === c && !always) return;
    backend.connected = c;
    for (const l of listeners) l(c);
  };
  const get = (): Promise<Client> => {
    if (client && !client.closed) return Promise.resolve(client);
    if (!connecting) {
      connecting = connect(path, { timeoutMs: 2000 }).then(
        (c) => {
          client = c;
          connecting = undefined;
          set(true);
          c.onClose(() => {
            client = undefined;
            set(false);
            schedule();
          });
          return c;
        },
        (e: unknown) => {
          connecting = undefined;
          set(false, true);
          schedule();
          throw e;
        },
      );
    }
    return connecting;
  };
  const schedule = (): void => {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      get().catch(() => {});
    }, 1000);
  };
  const backend: ShellBackend & { close(): void } = {
    connected: false,
    where: path,
    async request(cmd, args) {
      return (await get()).request(cmd, args);
    },
    stream(cmd, args, onEvent) {
      let inner: { done: Promise<unknown>; close(): void } | undefined;
      let stop = false;
      const done = get().then((c) => {
        if (stop) return;
        inner = c.stream(cmd, args, onEvent);
        return inner.done;
      });
      return {
        done,
        close() {
          stop = true;
          inner?.close();
        },
      };
    },
    onStatus(cb: (c: boolean) => void) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    close() {
      closed = true;
      clearTimeout(retry);
      client?.close();
    },
  };
  get().catch(() => {});
  return backend;
}

/** The bundled shell (scripts/bundle.mjs: one file loads ~3x faster), else the modules. */
async function loadShell(): Promise<typeof import('./shell/main.js')> {
  const bundle = new URL('./shell-bundle.js', import.meta.url);
  try {
    return (await import(bundle.href)) as typeof import('./shell/main.js');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw e;
    return import('./shell/main.js');
  }
}

/**
 * Opens the shell on the daemon at `path`; resolves with its exit code. `configFile`: where logs
 * and events read the files when no daemon answers.
 */
export async function startShell(path: string, configFile?: string): Promise<number> {
  if (!process.stdin.isTTY) {
    // without a terminal there are no keys to read: say so instead of waiting forever
    process.stderr.write('tend shell: needs a terminal (stdin is not one); run one-shot commands instead, e.g. `tend status`\n');
    return 2;
  }
  const backend = socketBackend(path); // connects while Ink loads
  // React's production build: smaller to load (start-up time counts) and no development checks
  process.env.NODE_ENV ??= 'production';
  // Ink renders only a final frame when it believes it runs in CI ($CI set); this is a person
  // at a terminal (checked above), so it gets the live screen whatever the environment says
  // (deleted, not set to "false": supports-color reads any $CI as "a CI log, no colours")
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  const { runShell } = await loadShell();
  const runLine = async (line: string, out: (t: string) => void, signal?: AbortSignal): Promise<number> => {
    const words = splitWords(line);
    const name = words[0];
    if (!name) return 0;
    const cmd = findCommand(name, SHELL_COMMANDS);
    if (!cmd || !isSocketCommand(cmd)) {
      out(`unknown command "${name}"\n`);
      return 2;
    }
    return runCommand(cmd, words.slice(1), {
      out,
      err: out,
      color: !process.env.NO_COLOR,
      signal,
      where: 'shell',
      width: process.stdout.columns || 80,
      ...(configFile ? { configPath: () => configFile } : {}),
      connect: async () => {
        const c = await connect(path, { timeoutMs: 2000 }).catch((e: unknown) => {
          throw e instanceof TendError ? e : new TendError('no_daemon', String(e));
        });
        return c;
      },
    });
  };
  try {
    // the config: service names for Tab while no daemon answers
    return await runShell({
      backend,
      runLine,
      historyFile: join(homedir(), '.tend_history'),
      color: !process.env.NO_COLOR,
      configFile,
    });
  } finally {
    backend.close();
  }
}
