// The REPL: scrollback printed once (through <Static>, or as it is when long: see print), then
// the live part (notices, the prompt, or `top`). Keys go through the pure prompt reducer; this
// component carries out its effects.
import { readFileSync } from 'node:fs';
import { Box, Static, Text, useApp, useStdout } from 'ink';
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { RunLine, ShellBackend } from './backend.js';
import type { Command } from '../commands/command.js';
import { configServiceNames } from '../commands/config-names.js';
import { helpText } from '../commands/help-text.js';
import { SHELL_COMMANDS } from '../commands/index.js';
import { formatColumns } from './tab.js';
import { LinkNotice } from './LinkNotice.js';
import { MODE_WORDS, type Notice, Notices, showsReload } from './notices.js';
import { addEntry, loadHistory, saveHistory } from './history.js';
import type { Key } from './key-parser.js';
import { INITIAL_PROMPT, promptKey, shownLine, type PromptState } from './prompt-keys.js';
import { Prompt } from './Prompt.js';
import { classifyLine, type LineAction } from './shell-line.js';
import { reloadNotice } from './stream-lines.js';
import { Top } from './Top.js';
import { useDaemonLink } from './use-daemon-link.js';
import { useKeys } from './use-keys.js';
import { useTerminalSize } from './use-terminal-size.js';
import { SIGNAL_NAMES } from '../core/signals.js';

/** The prompt string. */
export const PROMPT = 'tend> ';

/** Frames a second Ink draws at most (main.tsx renders with it): a frame held back is drawn within 1000 / SHELL_FPS ms. */
export const SHELL_FPS = 30;

// The terminal's alternate screen (as htop and less use it): top draws there, and the screen as
// it was comes back when top closes, instead of being scrolled away by the table.
const ALT_SCREEN_ON = '\x1b[?1049h\x1b[H';
const ALT_SCREEN_OFF = '\x1b[?1049l';

/** Every signal name the platform knows, for completion. */
export const SIGNALS: readonly string[] = SIGNAL_NAMES;

/** Inputs of the shell. */
export interface AppProps {
  backend: ShellBackend;
  runLine: RunLine;
  /** where history persists; none: kept in memory only */
  historyFile?: string;
  commands?: readonly Command[];
  signals?: readonly string[];
  /** columns; default the terminal's */
  width?: number;
  /** rows for `top`; default the terminal's */
  height?: number;
  /** called once when the shell ends (exit, Ctrl-D) */
  onExit?: (code: number) => void;
  /** ANSI colour in printed lines */
  color?: boolean;
  /** the config file: Tab offers its service names while no daemon answers */
  configFile?: string;
}

/** A burst of this many plain lines is written as it is, not through <Static> (see print). */
const DIRECT_LINES = 500;

interface Item {
  id: number;
  text: string;
  color?: string;
  dim?: boolean;
}

type Mode = 'prompt' | 'running' | 'streaming' | 'top';

/** The service names a line scan of the config file finds; none when it cannot be read. */
function fileServiceNames(file: string): string[] {
  try {
    return configServiceNames(readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The interactive shell. */
export function App(props: AppProps) {
  const { backend, runLine, historyFile, commands = SHELL_COMMANDS, signals = SIGNALS, color = true, configFile } = props;
  const app = useApp();
  const { stdout, write } = useStdout();
  const size = useTerminalSize();
  const width = props.width ?? size.columns;
  const height = props.height ?? size.rows - 1;

  // The scrollback not yet printed, and the generation of <Static> that prints it. Why: a line an
  // item, and every item kept, `logs web -n 100000` took 3 s and left the shell at 410 MB: Ink lays
  // out all that <Static> prints as a grid of cells (one <Text> of 100,000 lines: 2.6 s and 395 MB
  // alone). So the lines of one burst (a stream's, a command's output) in one style are one item,
  // once a <Static> has printed its items (they stay on the terminal) the next burst goes to a new
  // one, and a burst of DIRECT_LINES or more plain lines, when nothing waits in <Static> before it,
  // is written to the terminal as it is (Ink's write: above the live part, nothing kept): the same
  // 100,000 lines in well under a second.
  const [scroll, setScroll] = useState<{ gen: number; items: Item[] }>({ gen: 0, items: [] });
  const printedGen = useRef(-1);
  const unprinted = useRef(false);
  useLayoutEffect(() => {
    printedGen.current = scroll.gen;
    unprinted.current = false;
  }, [scroll]);
  const nextId = useRef(0);
  const pending = useRef<Item[]>([]);
  const pendingLines = useRef(0);
  const print = useCallback(
    (text: string, style: Omit<Item, 'id' | 'text'> = {}) => {
      const line = text === '' ? ' ' : text;
      for (let at = line.indexOf('\n'); at !== -1 && pendingLines.current < DIRECT_LINES; at = line.indexOf('\n', at + 1)) {
        pendingLines.current++;
      }
      pendingLines.current++;
      const last = pending.current.at(-1);
      if (last && last.color === style.color && last.dim === style.dim) {
        last.text += `\n${line}`;
        return;
      }
      pending.current.push({ id: nextId.current++, text: line, ...style });
      if (pending.current.length > 1) return;
      queueMicrotask(() => {
        const batch = pending.current;
        const lines = pendingLines.current;
        pending.current = [];
        pendingLines.current = 0;
        if (lines >= DIRECT_LINES && !unprinted.current && batch.every((i) => !i.color && !i.dim)) {
          write(`${batch.map((i) => i.text).join('\n')}\n`);
          return;
        }
        unprinted.current = true;
        setScroll((prev) =>
          prev.gen === printedGen.current
            ? { gen: prev.gen + 1, items: batch }
            : { gen: prev.gen, items: prev.items.concat(batch) },
        );
      });
    },
    [write],
  );

  const [prompt, setPromptState] = useState<PromptState>(INITIAL_PROMPT);
  const promptRef = useRef(prompt);
  const [entries] = useState<{ list: string[] }>(() => ({ list: historyFile ? loadHistory(historyFile) : [] }));
  const [mode, setModeState] = useState<Mode>('prompt');
  const modeRef = useRef<Mode>('prompt');
  const services = useRef<string[]>([]);
  const waiting = useRef<string[]>([]);
  const queue = useRef<Key[]>([]);
  const running = useRef<AbortController | null>(null);
  const streaming = useRef<{ cmd: string; close(): void } | null>(null);
  // what Ctrl-C says of the command running or followed (shell-line.ts: the command's own words)
  const interruptNote = useRef<string | undefined>(undefined);
  const ended = useRef(false);
  // set when leaving: the last frame shows this line instead of the prompt, then the app unmounts
  const [ending, setEnding] = useState<string | null>(null);
  const historyWarned = useRef(false);
  // the daemon's news: what is printed of it, and the counts of a task's repeated runs kept above the prompt
  const notices = useRef<Notices | null>(null);
  notices.current ??= new Notices(color);
  const [counted, setCounted] = useState<Notice[]>([]);
  const holdTimer = useRef<NodeJS.Timeout | undefined>(undefined);

  // the news are not printed while top or events -f has the screen (there they are what is shown)
  const tell = useCallback(
    (lines: Notice[]) => {
      if (modeRef.current === 'top' || streaming.current?.cmd === 'events') return;
      for (const n of lines) print(n.text);
    },
    [print],
  );
  // after the news changed: the counts above the prompt, and a timer for the runs held (notices.ts HOLD_MS)
  const syncNotices = useCallback(
    function sync(): void {
      const n = notices.current!;
      const live = n.live();
      setCounted((prev) => (prev.length === live.length && prev.every((p, k) => p.text === live[k]!.text) ? prev : live));
      clearTimeout(holdTimer.current);
      const at = n.nextDue();
      if (at === null) return;
      holdTimer.current = setTimeout(
        () => {
          tell(n.due(Date.now()));
          sync();
        },
        Math.max(0, at - Date.now()),
      );
    },
    [tell],
  );
  useEffect(() => () => clearTimeout(holdTimer.current), []);

  // one status request at a time: a burst of state changes asks once more after it, not once each
  const refreshing = useRef<'idle' | 'asking' | 'again'>('idle');
  const refreshServices = useCallback(() => {
    if (!backend.connected) return;
    if (refreshing.current !== 'idle') {
      refreshing.current = 'again';
      return;
    }
    refreshing.current = 'asking';
    const done = () => {
      const again = refreshing.current === 'again';
      refreshing.current = 'idle';
      if (again) refreshServices();
    };
    backend.request('status', {}).then(
      (r) => {
        services.current = r.services.map((row) => row.name);
        // the runs at their approval gate, as status says it (reconcile/slots.ts gateWait): approve and reject offer these
        waiting.current = r.services
          .filter((row) => row.state === 'pending' && row.detail.startsWith('waiting for approval'))
          .map((row) => row.name);
        done();
      },
      () => done(),
    );
  }, [backend]);

  // leaving takes two renders: the echo in place of the prompt first, then the unmount
  const exit = useCallback(
    (echo: string) => {
      if (ended.current) return;
      ended.current = true;
      running.current?.abort();
      streaming.current?.close();
      // the counts above the prompt go with the live part: written down first
      clearTimeout(holdTimer.current);
      for (const n of notices.current!.settleAll()) print(n.text);
      queueMicrotask(() => setEnding(echo)); // after print's own microtask: the scrollback is complete
    },
    [print],
  );
  const onExit = props.onExit;
  useEffect(() => {
    if (ending === null) return;
    onExit?.(0);
    app.exit();
  }, [ending, app, onExit]);

  const clearScreen = useCallback(() => stdout.write('\x1b[2J\x1b[3J\x1b[H'), [stdout]);

  // the key handler and the mode switch call each other (type-ahead replays after a command)
  const handleKeysRef = useRef<(keys: Key[]) => void>(() => {});
  const setMode = useCallback((m: Mode) => {
    modeRef.current = m;
    setModeState(m);
    if (m === 'prompt' && queue.current.length) {
      const keys = queue.current;
      queue.current = [];
      handleKeysRef.current(keys);
    }
  }, []);

  const interrupt = useCallback(() => {
    running.current?.abort();
    running.current = null;
    const s = streaming.current;
    streaming.current = null;
    s?.close();
    queue.current = [];
    // `run backup -f` said nothing: the run goes on, and how to end it (as `docker logs -f` leaves the container running)
    const note = interruptNote.current;
    interruptNote.current = undefined;
    print(note ? `^C ${note}` : '^C', { dim: !note });
    setMode('prompt');
  }, [print, setMode]);

  const startRun = useCallback(
    (line: string, interrupted?: string) => {
      const ctl = new AbortController();
      running.current = ctl;
      interruptNote.current = interrupted;
      setMode('running');
      const out = (text: string) => {
        if (!ctl.signal.aborted) print(text.replace(/\n$/, ''));
      };
      (async () => runLine(line, out, ctl.signal))()
        .catch((err) => out(`tend: ${errorText(err)}`))
        .finally(() => {
          if (running.current === ctl) {
            running.current = null;
            setMode('prompt');
          }
          refreshServices();
        });
    },
    [print, runLine, refreshServices, setMode],
  );

  // a followed logs/events: the CLI's own runner (files, then live lines; --grep, -t, prefixes of
  // one width), in the streaming mode, where Ctrl-C and Ctrl-D return to the prompt
  const startStream = useCallback(
    (action: Extract<LineAction, { kind: 'stream' }>) => {
      const ctl = new AbortController();
      const handle = { cmd: action.cmd, close: () => ctl.abort() };
      streaming.current = handle;
      interruptNote.current = action.interrupted;
      setMode('streaming');
      const out = (text: string) => {
        if (!ctl.signal.aborted) print(text.replace(/\n$/, ''));
      };
      (async () => runLine(action.line, out, ctl.signal))()
        .catch((err) => out(`tend: ${errorText(err)}`))
        .finally(() => {
          if (streaming.current === handle) {
            streaming.current = null;
            setMode('prompt');
          }
        });
    },
    [print, runLine, setMode],
  );

  // top on the alternate screen of a terminal. Ink's write() erases its frame, writes, and draws
  // the frame again: entering, the echo stays on the screen left behind (the prompt's frame is
  // drawn on the new one, then replaced by top's); leaving, once the prompt's frame is drawn on
  // top's screen, it is erased there and drawn back on the first one, below the echo
  const altScreen = useRef(false);
  const leaving = useRef<NodeJS.Timeout | undefined>(undefined);
  const enterTop = useCallback(
    (echo: string) => {
      if (leaving.current !== undefined) {
        // top again before the last one had left its screen (keys typed ahead): stay on it
        clearTimeout(leaving.current);
        leaving.current = undefined;
      } else if (stdout.isTTY) {
        write(`${color ? `\x1b[2m${echo}\x1b[22m` : echo}\n${ALT_SCREEN_ON}`);
        altScreen.current = true;
      } else print(echo, { dim: true });
      setMode('top');
    },
    [stdout, write, color, print, setMode],
  );
  const leaveTop = useCallback(() => {
    setMode('prompt');
    if (!altScreen.current) return;
    // after the prompt's frame: Ink draws a held-back frame by a timer set before this one, within 1000 / SHELL_FPS ms
    leaving.current = setTimeout(
      () => {
        leaving.current = undefined;
        altScreen.current = false;
        write(ALT_SCREEN_OFF);
      },
      Math.ceil(1000 / SHELL_FPS) + 10,
    );
  }, [write, setMode]);
  useEffect(
    () => () => {
      if (altScreen.current) stdout.write(ALT_SCREEN_OFF);
    },
    [stdout],
  );

  const submit = useCallback(
    (line: string) => {
      const action = classifyLine(line, commands);
      // `clear` leaves a clean screen; `exit` echoes itself on the way out, `top` on the screen it leaves
      if (action.kind !== 'clear' && action.kind !== 'exit' && action.kind !== 'top') print(PROMPT + line, { dim: true });
      if (line.trim()) {
        entries.list = addEntry(entries.list, line);
        if (historyFile) {
          try {
            // merged with the file as it is now, so shells open side by side keep each other's lines
            saveHistory(historyFile, addEntry(loadHistory(historyFile), line));
          } catch (err) {
            if (!historyWarned.current)
              print(`tend: cannot save history to ${historyFile}: ${errorText(err)}`, { color: 'yellow' });
            historyWarned.current = true;
          }
        }
      }
      switch (action.kind) {
        case 'empty':
          return;
        case 'exit':
          return exit(PROMPT + line);
        case 'clear':
          return clearScreen();
        case 'help':
          return print(helpText(commands, action.topic, width));
        case 'top':
          return enterTop(PROMPT + line);
        case 'notices': {
          const n = notices.current!;
          if (action.mode === undefined) return print(`notices ${n.mode}: ${MODE_WORDS[n.mode]} (notices on|failures|off)`);
          // the counts kept so far, written down as the old mode showed them
          for (const l of n.setMode(action.mode)) print(l.text);
          syncNotices();
          return print(`notices ${action.mode}: ${MODE_WORDS[action.mode]}`);
        }
        case 'error':
          return print(action.message, { color: 'red' });
        case 'stream':
          return startStream(action);
        case 'run':
          return startRun(action.line, action.interrupted);
      }
    },
    [commands, entries, historyFile, print, exit, clearScreen, enterTop, startStream, startRun, width, syncNotices],
  );

  const handleKeys = (keys: Key[]) => {
    for (const key of keys) {
      if (ended.current) return;
      const m = modeRef.current;
      if (m === 'top') return; // Top reads its own keys
      if (m !== 'prompt') {
        if (key.kind === 'key' && key.name === 'ctrl-c') interrupt();
        else if (key.kind === 'key' && key.name === 'ctrl-d' && m === 'streaming') interrupt();
        else queue.current.push(key); // type-ahead, replayed at the next prompt
        continue;
      }
      const ctx = { commands, services: services.current, waiting: waiting.current, signals };
      // no daemon: the names of the config file, by the line scan `tend completion` uses (it offered only `all`)
      if (key.kind === 'key' && key.name === 'tab' && !backend.connected && configFile) {
        const named = fileServiceNames(configFile);
        if (named.length) ctx.services = named;
      }
      const r = promptKey(promptRef.current, key, entries.list, ctx);
      promptRef.current = r.state;
      setPromptState(r.state);
      switch (r.effect?.kind) {
        case 'submit':
          submit(r.effect.line);
          break;
        case 'list':
          print(formatColumns(r.effect.words, width).join('\n'));
          break;
        case 'cancel':
          print(PROMPT + r.effect.text + '^C', { dim: true });
          break;
        case 'eof':
          exit(PROMPT + 'exit');
          break;
        case 'clear-screen':
          clearScreen();
          break;
      }
    }
  };
  handleKeysRef.current = handleKeys;
  useKeys(handleKeys);

  // live state changes and reloads above the prompt, and the connection notice
  const quiet = () => modeRef.current === 'top' || streaming.current?.cmd === 'events';
  const link = useDaemonLink(backend, {
    onStateChange: (e) => {
      // what Tab offers changes with a name not seen yet (a transient run) or a run reaching or
      // leaving its approval gate (pending): a task every second asked status 4 times a run
      if (!services.current.includes(e.service) || e.state === 'pending' || waiting.current.includes(e.service)) {
        refreshServices();
      }
      tell(notices.current!.state(e, Date.now()));
      syncNotices();
    },
    // a reload the file watcher applied (or refused: broken YAML) was said nowhere the user looks
    onReload: (e) => {
      refreshServices();
      if (quiet()) return;
      const n = reloadNotice(e);
      if (showsReload(notices.current!.mode, n.rejected)) print(n.text, n.rejected ? { color: 'yellow' } : {});
    },
    onReconnect: (again) => {
      print(again ? 'reconnected to the daemon' : `connected to the daemon${backend.where ? ` on ${backend.where}` : ''}`, {
        color: 'green',
      });
      refreshServices();
    },
    // the loss itself is said by LinkNotice above the prompt while it lasts (a line printed here too said it twice)
  });

  useEffect(() => refreshServices(), [refreshServices]);

  useEffect(() => {
    print('tend shell · type help · Tab completes · Ctrl-D quits', { dim: true });
  }, [print]);

  return (
    <>
      <Static key={scroll.gen} items={scroll.items}>
        {(item) => (
          <Text key={item.id} color={item.color} dimColor={item.dim}>
            {item.text}
          </Text>
        )}
      </Static>
      {mode === 'top' ? (
        <Top backend={backend} width={width} height={height} onExit={leaveTop} />
      ) : (
        <Box flexDirection="column">
          {ending !== null ? <Text dimColor>{ending}</Text> : null}
          {ending === null && !(mode === 'streaming' && streaming.current?.cmd === 'events')
            ? counted.map((n) => (
                <Text key={n.text} wrap="truncate">
                  {n.text}
                </Text>
              ))
            : null}
          {ending === null ? <LinkNotice link={link} where={backend.where} /> : null}
          {mode === 'streaming' && ending === null ? <Text dimColor>following · Ctrl-C returns to the prompt</Text> : null}
          {mode === 'prompt' && ending === null ? (
            <Prompt prompt={PROMPT} line={shownLine(prompt, entries.list)} search={prompt.search} />
          ) : null}
        </Box>
      )}
    </>
  );
}
