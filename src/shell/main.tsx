// Entry of the interactive shell: renders the App on the terminal and resolves with its exit code.
import { render } from 'ink';
import { App, SHELL_FPS } from './App.js';
import type { RunLine, ShellBackend } from './backend.js';
import { defaultHistoryFile } from './history.js';

/** What `tend shell` needs: the daemon client, the one-shot runner, and where history lives. */
export interface ShellOptions {
  backend: ShellBackend;
  runLine: RunLine;
  historyFile?: string;
  color?: boolean;
  /** the config file (-c, $TEND_CONFIG, ./tend.yaml): Tab offers its service names while no daemon answers */
  configFile?: string;
}

/** Runs the shell until `exit` or Ctrl-D; resolves to the shell's exit code (0). */
export async function runShell(opts: ShellOptions): Promise<number> {
  let code = 0;
  const instance = render(
    <App
      backend={opts.backend}
      runLine={opts.runLine}
      historyFile={opts.historyFile ?? defaultHistoryFile()}
      color={opts.color ?? !process.env.NO_COLOR}
      configFile={opts.configFile}
      onExit={(c) => (code = c)}
    />,
    { exitOnCtrlC: false, maxFps: SHELL_FPS },
  );
  await instance.waitUntilExit();
  return code;
}
