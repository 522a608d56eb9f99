// Figure 8 (issue 7): the shell in a real pseudo-terminal (tend's own: the addon's openPty and
// spawn, as a tty service gets): spawn of
// `tend shell --socket S` to the prompt text on screen (5 starts), and keystroke-to-screen
// latency: a typed character until the redrawn prompt line shows it (median of 20).
import { closeSync, writeSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { fileURLToPath } from 'node:url';
import { Daemon } from './lib/daemon.js';
import { figure } from './lib/figure.js';
import { run, track } from './lib/proc.js';
import { CLI, median, removeDir, sleep, sleepConfig, tempDir, writeConfig } from './lib/util.js';

const { openPty, spawnProcess } = await import('../dist/sys/addon.js');
const { watchExit } = await import('../dist/spawn/children.js');
const REPO = fileURLToPath(new URL('..', import.meta.url));
const PROMPT = 'tend> '; // src/shell/App.tsx PROMPT
const STARTS = 5;
const KEYS = 20;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78DEHMc]/g;

/** Screen text without escape sequences. */
const strip = (s) => s.replace(ANSI, '');

/** A shell session under a pty; `out` is everything it printed so far. */
class Session {
  out = '';
  #waiters = new Set();

  constructor(dir, socket) {
    this.t0 = performance.now();
    const [master, slave, rest] = openPty(100, 30);
    closeSync(rest);
    const argv = [process.execPath, CLI, 'shell', '--socket', socket];
    const env = { ...process.env, HOME: dir, TERM: 'xterm-256color' };
    this.pid = spawnProcess({ file: argv[0], argv, env, cwd: dir, fds: [slave, slave, slave], setsid: true, ctty: true });
    closeSync(slave);
    this.master = master;
    this.untrack = track({ pid: this.pid });
    this.exited = new Promise((r) => watchExit(this.pid, r));
    this.term = new ReadStream(master);
    this.term.setEncoding('utf8');
    this.term.on('data', (d) => {
      this.out += d;
      for (const w of this.#waiters) w();
    });
    this.term.on('error', () => {}); // EIO once the shell has exited
    this.exited.then(() => {
      for (const w of this.#waiters) w();
    });
  }

  /** Types `text` on the terminal. */
  write(text) {
    writeSync(this.master, text);
  }

  /** performance.now() when the screen output from `from` on, stripped, contains `text`. */
  waitText(text, from = 0, timeoutMs = 5000) {
    return new Promise((resolve, reject) => {
      let ended = false;
      this.exited.then(() => (ended = true));
      const check = () => {
        if (strip(this.out.slice(from)).includes(text)) return done(null, performance.now());
        if (ended)
          done(
            new Error(
              `the shell exited before showing ${JSON.stringify(text)}; screen: ${JSON.stringify(strip(this.out).slice(-300))}`,
            ),
          );
      };
      const t = setTimeout(
        () =>
          done(
            new Error(
              `timed out after ${timeoutMs} ms waiting for ${JSON.stringify(text)}; screen: ${JSON.stringify(strip(this.out).slice(-300))}`,
            ),
          ),
        timeoutMs,
      );
      const done = (e, v) => {
        clearTimeout(t);
        this.#waiters.delete(check);
        if (e) reject(e);
        else resolve(v);
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** Ctrl-U, Ctrl-D; kill by pid when it does not end within 3 s. Resolves true on a clean exit. */
  async close() {
    this.write('\x15');
    await sleep(50);
    this.write('\x04');
    const clean = await Promise.race([this.exited.then(() => true), sleep(3000).then(() => false)]);
    if (!clean) {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {}
      await Promise.race([this.exited, sleep(2000)]);
    }
    this.untrack();
    this.term.destroy();
    return clean;
  }
}

/** Why: issue 7's measures: how soon the shell is usable, and how fast it echoes. */
export async function benchShell() {
  const dir = tempDir('shell');
  const d = new Daemon(dir, writeConfig(dir, sleepConfig(10)));
  const starts = [];
  const keys = [];
  const inkOnly = [];
  let unclean = 0;
  try {
    d.start();
    await d.waitAll('running', 10);
    (await d.connect()).close();
    for (let i = 0; i < STARTS; i++) {
      const s = new Session(dir, d.socket);
      try {
        starts.push((await s.waitText(PROMPT)) - s.t0);
        if (i === STARTS - 1) {
          await sleep(300); // let the first renders and the daemon link settle
          let typed = '';
          for (let k = 0; k < KEYS; k++) {
            const ch = 'abcdefghijklmnopqrstuvwxyz'[k];
            typed += ch;
            const from = s.out.length;
            const t0 = performance.now();
            s.write(ch);
            keys.push((await s.waitText(PROMPT + typed, from)) - t0);
            await sleep(60); // past Ink's render throttle (~33 ms), so each key is a fresh frame
          }
        }
      } finally {
        if (!(await s.close())) unclean++;
      }
    }
    // for scale: a bare node that only loads Ink (the shell's floor)
    for (let i = 0; i < 3; i++) {
      const r = await run(process.execPath, ['--input-type=module', '-e', "await import('ink')"], { cwd: REPO });
      if (r.code !== 0) throw new Error(`node importing ink exited ${r.code}: ${r.stderr.trim()}`);
      inkOnly.push(r.ms);
    }
  } finally {
    const st = await d.stop();
    removeDir(dir);
    if (st.leaked.length) throw new Error(`${st.leaked.length} service processes outlived the daemon`);
  }
  return [
    figure({
      key: 'shell_first_prompt_median_ms',
      name: `shell start -> prompt (median of ${STARTS})`,
      value: median(starts),
      unit: 'ms',
      digits: 0,
      target: { op: '<', value: 300 },
      note: unclean ? `${unclean} shells did not exit on Ctrl-D (killed)` : '',
    }),
    figure({
      key: 'shell_first_prompt_max_ms',
      name: `shell start -> prompt (max of ${STARTS})`,
      value: Math.max(...starts),
      unit: 'ms',
      digits: 0,
    }),
    figure({
      key: 'node_import_ink_ms',
      name: 'node that only imports ink (median of 3)',
      value: median(inkOnly),
      unit: 'ms',
      digits: 0,
      note: 'the floor under the shell start-up',
    }),
    figure({
      key: 'shell_keystroke_median_ms',
      name: `keystroke -> echo (median of ${KEYS})`,
      value: median(keys),
      unit: 'ms',
      digits: 1,
      note: 'no target in issue 7',
    }),
    figure({
      key: 'shell_keystroke_max_ms',
      name: `keystroke -> echo (max of ${KEYS})`,
      value: Math.max(...keys),
      unit: 'ms',
      digits: 1,
    }),
  ];
}
