import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanup, render } from 'ink-testing-library';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../src/shell/App.js';
import type { RunLine } from '../../src/shell/backend.js';
import { fakeBackend, row, type FakeBackend } from './fake-backend.js';

const UP = '\x1b[A';
const wait = (fn: () => void) => vi.waitFor(fn, { timeout: 5000, interval: 5 });

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'tend-shell-'))));
afterEach(() => {
  cleanup();
  rmSync(dir, { recursive: true, force: true });
});

interface Setup {
  backend?: FakeBackend;
  runLine?: RunLine;
  history?: string[];
}

async function shell(opts: Setup = {}) {
  const backend = opts.backend ?? fakeBackend();
  const ran: string[] = [];
  const runLine: RunLine =
    opts.runLine ??
    (async (line, out) => {
      ran.push(line);
      out(`ran: ${line}\n`);
      return 0;
    });
  const historyFile = join(dir, '.tend_history');
  if (opts.history) writeFileSync(historyFile, opts.history.join('\n') + '\n');
  const onExit = vi.fn();
  const r = render(
    <App backend={backend} runLine={runLine} historyFile={historyFile} color={false} width={60} height={14} onExit={onExit} />,
  );
  const frame = () => r.lastFrame() ?? '';
  /** the live part: the last line (the prompt, when one is shown) */
  const promptLine = () => frame().trimEnd().split('\n').at(-1) ?? '';
  await wait(() => expect(frame()).toContain('tend shell ·'));
  // the service list for completion is fetched at start
  await wait(() => expect(backend.requests.some(([c]) => c === 'status')).toBe(true));
  return { ...r, backend, ran, onExit, frame, promptLine, historyFile, type: (s: string) => r.stdin.write(s) };
}

describe('App', () => {
  it('shows a prompt and the typed text', async () => {
    const s = await shell();
    expect(s.promptLine()).toBe('tend>');
    s.type('stat');
    await wait(() => expect(s.promptLine()).toBe('tend> stat'));
  });

  it('runs a one-shot command through runLine and prints its output, then prompts again', async () => {
    const s = await shell();
    s.type('status\r');
    await wait(() => expect(s.frame()).toContain('ran: status'));
    expect(s.ran).toEqual(['status']);
    expect(s.frame()).toContain('tend> status\nran: status');
    await wait(() => expect(s.promptLine()).toBe('tend>'));
  });

  it('writes a long output as it is, in order after the command, and holds none of it', async () => {
    // 2000 lines in 100-line chunks, as the logs runner writes them: past 500 lines a burst goes to
    // the terminal without <Static> (Ink laid out 100,000 lines in 2.6 s and 395 MB)
    const lines = Array.from({ length: 2000 }, (_, i) => `line ${i + 1}`);
    let echoed = (): boolean => false;
    const s = await shell({
      runLine: async (_line, out) => {
        // as the real one, it answers after the echo of the command is on the screen (it connects
        // first): only then may a burst bypass <Static>
        await wait(() => expect(echoed()).toBe(true));
        for (let i = 0; i < lines.length; i += 100) out(`${lines.slice(i, i + 100).join('\n')}\n`);
        return 0;
      },
    });
    echoed = () => s.frames.some((f) => f.includes('tend> logs web'));
    s.type('logs web -n 2000\r');
    await wait(() => expect(s.frames.some((f) => f.includes('line 2000'))).toBe(true));
    const written = s.frames.find((f) => f.includes('line 2000'))!;
    // the whole burst in one write, right after the echo of the command
    expect(written.startsWith(`${lines.join('\n')}\n`)).toBe(true);
    expect(s.frames.findIndex((f) => f.includes('tend> logs web'))).toBeLessThan(s.frames.indexOf(written));
    await wait(() => expect(s.promptLine()).toBe('tend>'));
    // not kept as scrollback to lay out again: later frames do not carry it
    expect(s.frame()).not.toContain('line 1000');
  });

  it('completes a command on Tab and lists candidates on the second Tab', async () => {
    const s = await shell();
    s.type('st');
    s.type('\t');
    s.type('\t');
    await wait(() => expect(s.frame()).toMatch(/start +status +stop/));
    expect(s.promptLine()).toBe('tend> st');
    s.type('at\t');
    await wait(() => expect(s.promptLine()).toBe('tend> status'));
  });

  it('completes service names live from the daemon', async () => {
    const s = await shell();
    await wait(() => expect(s.backend.requests.length).toBeGreaterThan(0));
    s.type('restart d');
    s.type('\t');
    await wait(() => expect(s.promptLine()).toBe('tend> restart db'));
    s.type('we\t');
    await wait(() => expect(s.promptLine()).toBe('tend> restart db web'));
  });

  it('approve and reject complete only the runs waiting for approval', async () => {
    const waits = row('deploy', 'pending', { detail: 'waiting for approval (tend approve deploy)' });
    const s = await shell({
      backend: fakeBackend([row('db'), waits, row('deploy-docs', 'pending', { detail: 'waiting for db' })]),
    });
    s.type('approve \t');
    await wait(() => expect(s.promptLine()).toBe('tend> approve deploy'));
  });

  it('with no daemon, completes service names from the config file', async () => {
    const configFile = join(dir, 'tend.yaml');
    writeFileSync(configFile, 'services:\n  api:\n    command: x\n  worker:\n    command: y\n    replicas: 2\n');
    const backend = fakeBackend();
    backend.connected = false;
    const r = render(
      <App backend={backend} runLine={async () => 0} color={false} width={80} height={14} configFile={configFile} />,
    );
    await wait(() => expect(r.lastFrame()).toContain('tend>'));
    r.stdin.write('stop wo');
    r.stdin.write('\t');
    await wait(() => expect(r.lastFrame()).toContain('tend> stop worker'));
    r.stdin.write('.\t\t');
    await wait(() => expect(r.lastFrame()).toMatch(/worker\.1 +worker\.2/));
  });

  it('recalls history from the file with Up and saves new commands to it', async () => {
    const s = await shell({ history: ['status', 'start web'] });
    s.type(UP);
    await wait(() => expect(s.promptLine()).toBe('tend> start web'));
    s.type(UP);
    await wait(() => expect(s.promptLine()).toBe('tend> status'));
    s.type('\r');
    await wait(() => expect(s.ran).toEqual(['status']));
    expect(readFileSync(s.historyFile, 'utf8')).toBe('start web\nstatus\n');
  });

  it('searches history with Ctrl-R', async () => {
    const s = await shell({ history: ['status', 'start web', 'logs db'] });
    s.type('\x12web');
    await wait(() => expect(s.promptLine()).toBe("(reverse-i-search)'web': start web"));
    s.type('\r');
    await wait(() => expect(s.ran).toEqual(['start web']));
  });

  it('suggests a command for a typo without calling runLine', async () => {
    const s = await shell();
    s.type('stauts\r');
    await wait(() => expect(s.frame()).toContain('unknown command "stauts" — did you mean "status"?'));
    expect(s.ran).toEqual([]);
  });

  it('prints help from the command table', async () => {
    const s = await shell();
    s.type('help\r');
    await wait(() => expect(s.frame()).toContain('commands:'));
    expect(s.frame()).toMatch(/ {2}logs NAME\.\.\. +lines services printed, from their log/);
  });

  it('prints state changes above the prompt without touching the typed line', async () => {
    const s = await shell();
    await wait(() => expect(s.backend.streams.map((x) => x.cmd)).toEqual(['events']));
    const events = s.backend.streams[0]!;
    expect(events.args).toEqual({ follow: true, lines: 0 });
    s.type('stop w');
    await wait(() => expect(s.promptLine()).toBe('tend> stop w'));
    const time = new Date(Date.now() + 1000).toISOString();
    events.emit({ time, service: 'web.1', what: 'state', why: 'backoff: exited with code 1', state: 'backoff' });
    events.emit({ time, service: 'web.1', what: 'spawn', why: 'pid 12' }); // not a state change: not shown
    await wait(() => expect(s.frame()).toContain('web.1 state backoff: exited with code 1'));
    expect(s.frame()).not.toContain('pid 12');
    expect(s.promptLine()).toBe('tend> stop w');
    const lines = s.frame().trimEnd().split('\n');
    expect(lines.at(-2)).toContain('web.1 state backoff');
  });

  it('tells a frequent task in one line a run, counts the runs ending alike above the prompt; notices off mutes', async () => {
    const s = await shell();
    await wait(() => expect(s.backend.streams.map((x) => x.cmd)).toEqual(['events']));
    const events = s.backend.streams[0]!;
    let ms = Date.now() + 1000;
    const change = (service: string, from: string, to: string, reason: string) =>
      events.emit({ time: new Date(ms++).toISOString(), service, what: 'state', why: `${from} -> ${to}: ${reason}`, state: to });
    const tick = (reason = 'exited with code 0') => {
      change('tick', 'scheduled', 'pending', 'scheduled run');
      change('tick', 'pending', 'starting', 'spawned');
      change('tick', 'starting', 'running', 'started');
      change('tick', 'running', 'scheduled', reason);
    };
    s.type('sta');
    for (let k = 0; k < 5; k++) tick();
    await wait(() => expect(s.frame()).toContain('tick run completed 4 more times (exited with code 0)'));
    const lines = s.frame().trimEnd().split('\n');
    // one line for the first run, the count above the prompt, and no state lines
    expect(lines.filter((l) => l.includes('tick run completed (exited with code 0)'))).toHaveLength(1);
    expect(s.frame()).not.toContain('tick state');
    expect(lines.at(-2)).toContain('tick run completed 4 more times');
    expect(s.promptLine()).toBe('tend> sta');
    // a failure writes the count down and is printed
    tick('exited with code 1');
    await wait(() => expect(s.frame()).toContain('tick run failed (exited with code 1)'));
    expect(s.frame()).toMatch(/tick run completed 4 more times \(exited with code 0\)\n.*tick run failed \(exited with code 1\)/);
    s.type('\x15notices\r');
    await wait(() => expect(s.frame()).toContain('notices on: state changes and reloads'));
    s.type('notices off\r');
    await wait(() => expect(s.frame()).toContain('notices off: no state changes nor reloads'));
    change('web', 'running', 'failed', 'exited with code 3');
    tick('exited with code 1');
    s.type('notices failures\r');
    await wait(() => expect(s.frame()).toContain('notices failures: only failed runs'));
    expect(s.frame()).not.toContain('web state');
    change('web', 'starting', 'failed', 'exited with code 4');
    await wait(() => expect(s.frame()).toContain('web state starting -> failed: exited with code 4'));
  });

  it('asks status for Tab again only when a state change can change what it offers: a new name, a pending run', async () => {
    const s = await shell();
    await wait(() => expect(s.backend.streams.map((x) => x.cmd)).toEqual(['events']));
    const events = s.backend.streams[0]!;
    const asked = () => s.backend.requests.filter(([c]) => c === 'status').length;
    await wait(() => expect(asked()).toBe(1)); // at start
    const change = (service: string, from: string, to: string) =>
      events.emit({ time: new Date().toISOString(), service, what: 'state', why: `${from} -> ${to}: x`, state: to });
    // a known service going round: nothing to ask
    change('db', 'running', 'backoff');
    change('db', 'backoff', 'starting');
    change('db', 'starting', 'running');
    await wait(() => expect(s.frame()).toContain('db state starting -> running'));
    expect(asked()).toBe(1);
    // a name status did not have (a transient run): asked, and Tab offers it
    s.backend.rows = [...s.backend.rows, row('adhoc-1')];
    change('adhoc-1', 'pending', 'starting');
    await wait(() => expect(asked()).toBe(2));
    s.type('logs adh\t');
    await wait(() => expect(s.promptLine()).toBe('tend> logs adhoc-1'));
  });

  it('prints the reloads the daemon applied or rejected above the prompt (an edit of the file was seen nowhere)', async () => {
    const s = await shell();
    await wait(() => expect(s.backend.streams.map((x) => x.cmd)).toEqual(['events']));
    const events = s.backend.streams[0]!;
    s.type('stat');
    const time = new Date(Date.now() + 1000).toISOString();
    events.emit({ time, service: 'tend', what: 'reload', why: 'file changed: + api; ~ web (command); = 3 unchanged' });
    await wait(() => expect(s.frame()).toContain('reload (file changed): + api; ~ web (command)'));
    const why = 'file changed: config rejected, keeping the running one: tend.yaml:3:5: bad indentation\ntend.yaml:4:1: more';
    events.emit({ time, service: 'tend', what: 'reload', why });
    await wait(() => expect(s.frame()).toContain('reload rejected (file changed): tend.yaml:3:5: bad'));
    expect(s.frame()).not.toContain('unchanged');
    expect(s.promptLine()).toBe('tend> stat');
  });

  it('says when the connection is lost and when it is back, keeping the prompt', async () => {
    const s = await shell();
    s.type('sta');
    s.backend.setConnected(false);
    await wait(() => expect(s.frame()).toContain('connection lost — reconnecting…'));
    // said once (a printed 'lost the connection to the daemon' stood above it)
    expect(s.frame().match(/lost/g)).toHaveLength(1);
    expect(s.promptLine()).toBe('tend> sta');
    s.backend.setConnected(true);
    await wait(() => expect(s.frame()).toContain('reconnected to the daemon'));
    expect(s.frame()).not.toContain('connection lost —');
    // the live events subscription is made again
    await wait(() => expect(s.backend.streams.filter((x) => x.cmd === 'events')).toHaveLength(2));
  });

  /** A runLine that follows until aborted: what it was given, and a way to print through it. */
  function following() {
    const f: { line?: string; signal?: AbortSignal; out?: (t: string) => void; ended: boolean } = { ended: false };
    const runLine: RunLine = (line, out, signal) => {
      Object.assign(f, { line, out, signal });
      return new Promise<number>((resolve) =>
        signal?.addEventListener('abort', () => {
          f.ended = true;
          resolve(0);
        }),
      );
    };
    return { f, runLine };
  }

  it('follows logs -f (through runLine, as the CLI does) into the scrollback until Ctrl-C, then prompts again', async () => {
    const { f, runLine } = following();
    const s = await shell({ runLine });
    s.type('logs web.1 -f --grep GET\r');
    await wait(() => expect(f.line).toBe('logs web.1 -f --grep GET'));
    f.out!('listening on 8080\n');
    f.out!('GET /\n');
    await wait(() => expect(s.frame()).toContain('listening on 8080\nGET /'));
    expect(s.frame()).toContain('following · Ctrl-C returns to the prompt');
    s.type('\x03');
    await wait(() => expect(f.ended).toBe(true));
    await wait(() => expect(s.promptLine()).toBe('tend>'));
    expect(s.frame()).toContain('GET /\n^C stopped following the log of web.1\n');
    f.out!('after close\n');
    expect(s.frame()).not.toContain('after close');
    expect(s.onExit).not.toHaveBeenCalled();
  });

  it('follows events -f; Ctrl-D returns to the prompt too', async () => {
    const { f, runLine } = following();
    const s = await shell({ runLine });
    s.type('events -f\r');
    await wait(() => expect(f.line).toBe('events -f'));
    f.out!('2024-05-01 15:35:11.123 db exit exited with code 0\n');
    await wait(() => expect(s.frame()).toContain('15:35:11.123 db exit exited with code 0'));
    s.type('\x04');
    await wait(() => expect(f.signal!.aborted).toBe(true));
    await wait(() => expect(s.promptLine()).toBe('tend>'));
    expect(s.onExit).not.toHaveBeenCalled();
  });

  it('Ctrl-C during a one-shot aborts it and returns to the prompt', async () => {
    let signal: AbortSignal | undefined;
    const s = await shell({
      runLine: (_line, _out, sig) => {
        signal = sig;
        return new Promise<number>(() => {}); // never ends by itself
      },
    });
    s.type('start web\r');
    await wait(() => expect(signal).toBeDefined());
    await wait(() => expect(s.promptLine()).toBe('tend> start web')); // the echo; no prompt while it runs
    s.type('\x03');
    await wait(() => expect(signal!.aborted).toBe(true));
    await wait(() => expect(s.promptLine()).toBe('tend>'));
    expect(s.frame()).toContain('tend> start web\n^C stopped waiting; web goes on starting (stop web stops it)\n');
  });

  it('Ctrl-C on run -f says the run goes on and how to end it (it said nothing)', async () => {
    let signal: AbortSignal | undefined;
    const s = await shell({
      runLine: (_line, out, sig) => {
        signal = sig;
        out('backing up\n');
        return new Promise<number>(() => {});
      },
    });
    s.type('run backup -f\r');
    await wait(() => expect(s.frame()).toContain('backing up'));
    s.type('\x03');
    await wait(() => expect(signal!.aborted).toBe(true));
    await wait(() => expect(s.promptLine()).toBe('tend>'));
    expect(s.frame()).toContain('backing up\n^C stopped following backup; the run goes on (stop backup ends it)\n');
    // a command that leaves nothing going: the bare ^C, as before
    s.type('status\r');
    await wait(() => expect(s.frame()).toContain('tend> status\n'));
    s.type('\x03');
    await wait(() => expect(s.frame()).toMatch(/tend> status\nbacking up\n\^C\n/));
  });

  it('keeps keys typed while a command runs and replays them at the prompt', async () => {
    let finish!: () => void;
    const s = await shell({
      runLine: (line, out) =>
        new Promise<number>((resolve) => {
          finish = () => {
            out(`done ${line}`);
            resolve(0);
          };
        }),
    });
    s.type('status\r');
    await wait(() => expect(finish).toBeDefined());
    s.type('sto');
    finish();
    await wait(() => expect(s.promptLine()).toBe('tend> sto'));
  });

  it('Ctrl-C at the prompt clears the line and does not quit', async () => {
    const s = await shell();
    s.type('stop web');
    s.type('\x03');
    await wait(() => expect(s.frame()).toContain('tend> stop web^C'));
    expect(s.promptLine()).toBe('tend>');
    expect(s.onExit).not.toHaveBeenCalled();
  });

  it('exit quits, leaving its echo as the last line and no prompt', async () => {
    const s = await shell();
    s.type('exit\r');
    await wait(() => expect(s.onExit).toHaveBeenCalledWith(0));
    expect(s.promptLine()).toBe('tend> exit');
    // no bare prompt is left under it (the final frame may repeat the scrollback: an Ink debug-mode quirk)
    expect(s.frame()).not.toMatch(/tend>\s*$/);
  });

  it('Ctrl-D on an empty line quits, echoing exit', async () => {
    const s = await shell();
    s.type('\x04');
    await wait(() => expect(s.onExit).toHaveBeenCalledWith(0));
    expect(s.promptLine()).toBe('tend> exit');
  });

  it('help fits the terminal width', async () => {
    const s = await shell();
    s.type('help\r');
    await wait(() => expect(s.frame()).toContain('help COMMAND explains one command.'));
    const lines = s.frame().split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(60);
    // a summary is never cut by Ink's own wrapping: each summary's words stay in order on its lines
    expect(s.frame()).toContain(
      '  logs NAME...        lines services printed, from their log\n                      files (last 100, or -n N, --since,\n                      --grep); -f follows',
    );
  });

  it('clear clears the screen and is not echoed', async () => {
    const s = await shell();
    s.type('clear\r');
    await wait(() => expect(s.frames.some((f) => f.includes('\x1b[2J'))).toBe(true));
    s.type('x');
    await wait(() => expect(s.promptLine()).toBe('tend> x'));
    expect(s.frames.join('\n')).not.toContain('tend> clear');
  });

  it('without a daemon at start it says where it looks, then announces the connection', async () => {
    const backend = fakeBackend();
    backend.connected = false;
    backend.where = '/run/x.sock';
    const r = render(<App backend={backend} runLine={async () => 0} color={false} width={80} height={14} />);
    const frame = () => r.lastFrame() ?? '';
    await wait(() => expect(frame()).toContain('tend>'));
    expect(frame()).not.toContain('no daemon'); // nothing is said before the first attempt fails
    backend.setConnected(false);
    await wait(() => expect(frame()).toContain('no daemon answers on /run/x.sock'));
    backend.setConnected(true);
    await wait(() => expect(frame()).toContain('connected to the daemon on /run/x.sock'));
    expect(frame()).not.toContain('no daemon answers');
    expect(frame()).not.toContain('reconnected');
    await wait(() => expect(backend.streams.filter((x) => x.cmd === 'events')).toHaveLength(1));
  });

  it('a quiet first connect is not announced', async () => {
    const backend = fakeBackend();
    backend.connected = false;
    const r = render(<App backend={backend} runLine={async () => 0} color={false} width={80} height={14} />);
    await wait(() => expect(r.lastFrame()).toContain('tend>'));
    backend.setConnected(true);
    await wait(() => expect(backend.streams.filter((x) => x.cmd === 'events')).toHaveLength(1));
    expect(r.lastFrame()).not.toContain('connected');
  });

  it('keeps the lines another shell saved to the history file meanwhile', async () => {
    const s = await shell({ history: ['status'] });
    writeFileSync(s.historyFile, 'status\nwhy db\n'); // another shell ran `why db`
    s.type('events\r');
    await wait(() => expect(s.ran).toEqual(['events']));
    expect(readFileSync(s.historyFile, 'utf8')).toBe('status\nwhy db\nevents\n');
  });

  it('top opens the table and q returns to the prompt', async () => {
    const s = await shell({ backend: fakeBackend([row('db'), row('web', 'backoff')]) });
    s.type('top\r');
    await wait(() => expect(s.frame()).toContain('tend top · 2 services'));
    expect(s.frame()).toMatch(/web +backoff/);
    s.type('q');
    await wait(() => expect(s.promptLine()).toBe('tend>'));
    expect(s.frame()).not.toContain('tend top ·');
  });
});
