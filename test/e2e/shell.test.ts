// The interactive shell end to end in a real terminal: the built binary inside tmux (its own tmux
// server per test, so nothing else is touched), keys sent with send-keys, the screen read back with
// capture-pane. Every wait is on what the screen shows, with a deadline.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI, Project, waitFor } from './harness.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TMUX = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
const hasTmux = TMUX.status === 0;
if (!hasTmux) console.log('skipping the shell end-to-end tests: tmux is not installed (apt-get install tmux)');

const YAML = `
services:
  web:
    command: n=0; while true; do n=$((n+1)); echo "hit $n"; sleep 0.2; done
  db:
    command: sleep 1000
`;

/** A tmux server of our own (its socket in our temp folder) holding one session that runs `tend shell`. */
class Terminal {
  private static count = 0;
  readonly server: string;

  constructor(
    dir: string,
    private readonly env: NodeJS.ProcessEnv,
    readonly width = 100,
    readonly height = 30,
  ) {
    this.server = join(dir, `tmux-${Terminal.count++}.sock`);
  }

  private tmux(args: string[]): string {
    const r = spawnSync('tmux', ['-S', this.server, '-f', '/dev/null', ...args], { encoding: 'utf8', env: this.env });
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  }

  /** Starts the shell (`words`: how it is asked for); after it ends the pane prints its exit code and stays open. */
  open(socket: string, words = ['shell', '--socket', socket]): void {
    const cmd = `'${process.execPath}' '${CLI}' ${words.map((w) => `'${w}'`).join(' ')}; echo "[shell exited $?]"; exec sleep 600`;
    this.tmux(['new-session', '-d', '-s', 'sh', '-x', String(this.width), '-y', String(this.height), cmd]);
  }

  /** Keys by tmux name (Enter, Tab, Up, C-c) or text typed literally. */
  keys(...keys: string[]): void {
    this.tmux(['send-keys', '-t', 'sh', ...keys]);
  }

  type(text: string): void {
    this.tmux(['send-keys', '-t', 'sh', '-l', text]);
  }

  screen(): string {
    return this.tmux(['capture-pane', '-p', '-t', 'sh']);
  }

  /** The screen with its colour escapes (capture-pane -e). */
  screenWithEscapes(): string {
    return this.tmux(['capture-pane', '-p', '-e', '-t', 'sh']);
  }

  /** The last non-blank line: the prompt while one is shown. */
  lastLine(): string {
    return this.screen().trimEnd().split('\n').at(-1)!.trimEnd();
  }

  /** Waits until the screen passes `test`; the error shows the screen at the deadline. */
  async until(test: (screen: string) => boolean, what: string, timeoutMs = 15_000): Promise<string> {
    try {
      return await waitFor(
        () => {
          const s = this.screen();
          return test(s) ? s : '';
        },
        what,
        timeoutMs,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- screen ---\n${this.screen()}`);
    }
  }

  untilLast(expected: string | RegExp, timeoutMs?: number): Promise<string> {
    const ok = (l: string) => (typeof expected === 'string' ? l === expected : expected.test(l));
    return this.until((s) => ok(s.trimEnd().split('\n').at(-1)!.trimEnd()), `the last line to be ${String(expected)}`, timeoutMs);
  }

  close(): void {
    spawnSync('tmux', ['-S', this.server, 'kill-server'], { env: this.env });
    rmSync(this.server, { force: true });
  }
}

describe.skipIf(!hasTmux)('tend shell in a terminal', () => {
  let project: Project;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let terms: Terminal[] = [];
  const prompt = async (t: Terminal) => t.untilLast('tend>');
  /** A terminal running tend shell, its prompt shown. */
  const prompted = async (width?: number, height?: number): Promise<Terminal> => {
    const t = new Terminal(home, env, width, height);
    terms.push(t);
    t.open(project.socket);
    await prompt(t);
    return t;
  };

  beforeAll(async () => {
    project = new Project(YAML);
    await project.up();
    await project.waitState('web', 'running');
    await project.waitState('db', 'running');
    home = mkdtempSync(join(tmpdir(), 'tend-e2e-home-'));
    // ~/.tend_history goes to a fresh HOME; plain text makes the screen easy to match
    env = { ...process.env, HOME: home, NO_COLOR: '1', TMUX: '' };
  });
  afterEach(() => {
    for (const t of terms) t.close();
    terms = [];
  });
  afterAll(async () => {
    await project?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('runs a command and shows its output under the prompt', async () => {
    const t = await prompted();
    t.type('status');
    t.keys('Enter');
    const s = await t.until((x) => /tend> status\nNAME +STATE[^\n]*\n(web|db) +running/.test(x), 'the status table');
    expect(s).toMatch(/\nweb +running +\d+/);
    expect(s).toMatch(/\ndb +running +\d+/);
    await prompt(t);
  });

  it('is what `tend --socket PATH` (the flags that find the daemon, no command) opens, as a bare `tend` does', async () => {
    const t = new Terminal(home, env);
    terms.push(t);
    t.open(project.socket, ['--socket', project.socket]);
    await prompt(t);
    t.type('status');
    t.keys('Enter');
    await t.until((x) => /tend> status\nNAME +STATE[^\n]*\n(web|db) +running/.test(x), 'the status table');
  });

  it('draws its colours and block cursor even when $CI is set (a person at a terminal)', async () => {
    const t = new Terminal(home, { ...env, NO_COLOR: undefined, CI: 'true', TERM: 'xterm-256color' });
    terms.push(t);
    t.open(project.socket);
    await prompt(t);
    // the prompt word in colour and the cursor drawn inverted (SGR 7)
    await waitFor(
      () => /\x1b\[[0-9;]*m.*tend>/.test(t.screenWithEscapes()) && /\x1b\[[0-9;]*7m/.test(t.screenWithEscapes()),
      'a coloured prompt',
    );
  });

  it('completes a service name with Tab, and lists the candidates on a second Tab', async () => {
    const t = await prompted();
    t.type('logs w');
    t.keys('Tab');
    await t.untilLast(/^tend> logs web ?$/);
    t.keys('C-u');
    t.type('st');
    t.keys('Tab', 'Tab');
    await t.until((s) => /start +status +stop/.test(s), 'the candidates start, status, stop');
    await t.untilLast('tend> st');
  });

  it('Up recalls the previous command, in the same session and in the next one', async () => {
    const a = await prompted();
    a.type('why db');
    a.keys('Enter');
    await a.until((s) => s.includes('db is running since'), 'the why text');
    await prompt(a);
    a.keys('Up');
    await a.untilLast('tend> why db');
    a.keys('C-u');
    a.type('exit');
    a.keys('Enter');
    await a.until((s) => s.includes('[shell exited 0]'), 'the shell to exit');
    expect(readFileSync(join(home, '.tend_history'), 'utf8')).toMatch(/why db\nexit\n$/);

    const b = await prompted();
    b.keys('Up', 'Up');
    await b.untilLast('tend> why db');
  });

  it('Ctrl-C in logs web -f returns to the prompt and the shell goes on', async () => {
    const t = await prompted();
    t.type('logs web -f -n 1');
    t.keys('Enter');
    const first = await t.until((s) => /\nhit \d+\n/.test(s), 'a log line');
    const n = Number(/\nhit (\d+)\n/.exec(first)![1]);
    // still following: a later line arrives
    await t.until((s) => [...s.matchAll(/\nhit (\d+)/g)].some((m) => Number(m[1]) > n), 'a newer log line');
    expect(t.screen()).toContain('following · Ctrl-C returns to the prompt');
    t.keys('C-c');
    await t.until((s) => /\^C stopped following the log of web\ntend>\s*$/.test(s), 'the prompt after ^C');
    expect(t.screen()).not.toContain('[shell exited');
    t.type('why web');
    t.keys('Enter');
    await t.until((s) => s.includes('web is running since'), 'the shell to still answer');
  });

  it("logs -f is the CLI's: the files' last matching lines, then the live ones, --grep filtering both", async () => {
    const t = await prompted();
    t.type('logs all -f -n 2 --grep [05]$');
    t.keys('Enter');
    const hits = (s: string) => [...s.matchAll(/\nweb \| hit (\d+)\n/g)].map((m) => Number(m[1]));
    const first = hits(await t.until((s) => hits(s).length >= 2, 'the two last matching lines'));
    // a newer match arrives live; no line that does not match is shown
    await t.until((s) => hits(s).some((n) => n > Math.max(...first)), 'a live matching line');
    expect(hits(t.screen()).every((n) => n % 5 === 0)).toBe(true);
    expect(t.screen()).not.toMatch(/hit \d*[1-46-9]\n/);
    t.keys('C-c');
    await t.until((s) => /\^C stopped following every log\ntend>\s*$/.test(s), 'the prompt after ^C');
  });

  it('shows a state change pushed by the daemon above the prompt, keeping the typed line', async () => {
    const t = await prompted();
    t.type('status d');
    await t.untilLast('tend> status d');
    const pid = (await project.status()).find((r) => r.name === 'db')!.pid as number;
    process.kill(pid, 'SIGKILL'); // the daemon's own child: it restarts it
    await t.until((s) => /db state running -> backoff: killed by SIGKILL\n/.test(s), 'the pushed state change');
    await t.untilLast('tend> status d');
    await project.waitState('db', 'running');
  });

  it('top shows the live table in 60 columns and q returns to the prompt and the screen as it was', async () => {
    const t = await prompted(60, 20);
    t.type('why db');
    t.keys('Enter');
    await t.until((s) => s.includes('db is running since'), 'the why text');
    await prompt(t);
    t.type('top');
    t.keys('Enter');
    const s = await t.until((x) => x.includes('tend top · 2 services') && /\nweb +running/.test(x), 'the top table');
    expect(s).toMatch(/NAME +STATE/);
    for (const line of s.split('\n')) expect(line.length).toBeLessThanOrEqual(60);
    // refreshed each second: the clock in the title moves
    const clock = /tend top · 2 services · (\d\d:\d\d:\d\d)/.exec(s)![1];
    await t.until((x) => !x.includes(clock!), 'the table to refresh', 5000);
    t.keys('q');
    await prompt(t);
    expect(t.screen()).not.toContain('tend top');
    // top drew on the alternate screen: what was on the screen before is there again, with its echo
    await t.until((s) => /tend> why db\ndb is running since[\s\S]*\ntend> top\ntend>\s*$/.test(s), 'the screen as it was');
  });

  it('says when the daemon is gone and reconnects when it is back; meanwhile logs reads the files', async () => {
    const t = new Terminal(home, env);
    terms.push(t);
    t.open(project.socket, ['shell', '-c', join(project.dir, 'tend.yaml')]);
    await prompt(t);
    const daemon = project.daemon!;
    daemon.kill('SIGTERM');
    await project.exit;
    await t.until((s) => s.includes('connection lost — reconnecting…'), 'the lost-connection notice');
    await t.untilLast('tend>');
    // as `tend logs` does with no daemon (it said "no tend daemon answers")
    t.type('logs web -n 2');
    t.keys('Enter');
    await t.until((s) => /tend> logs web -n 2\nhit \d+\nhit \d+\n/.test(s), 'the last two lines of web, from its file');
    await project.up();
    await t.until((s) => s.includes('reconnected to the daemon') && !s.includes('connection lost —'), 'the reconnect', 20_000);
    await project.waitState('web', 'running');
  });

  it('exit ends the shell with code 0, and so does Ctrl-D', async () => {
    const a = await prompted();
    a.type('exit');
    a.keys('Enter');
    const s = await a.until((x) => x.includes('[shell exited'), 'the shell to exit');
    expect(s).toContain('tend> exit\n[shell exited 0]');
    const b = await prompted();
    b.keys('C-d');
    expect(await b.until((x) => x.includes('[shell exited'), 'the shell to exit')).toContain('[shell exited 0]');
  });
});

describe('the one-shot path', () => {
  it('does not load Ink or React (tend status stays light)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tend-e2e-load-'));
    try {
      // a module hook that names every ink/react module the process loads
      writeFileSync(
        join(dir, 'hook.mjs'),
        "export async function load(url, c, next) { if (/node_modules\\/(ink|react)/.test(url)) process.stderr.write('LOADED ' + url + '\\n'); return next(url, c); }\n",
      );
      writeFileSync(join(dir, 'reg.mjs'), "import { register } from 'node:module'; register('./hook.mjs', import.meta.url);\n");
      const run = (args: string[]) =>
        spawnSync(process.execPath, ['--import', join(dir, 'reg.mjs'), ...args], {
          encoding: 'utf8',
          cwd: ROOT,
          env: { ...process.env, NO_COLOR: '1' },
        });
      const one = run([CLI, 'status', '--socket', join(dir, 'none.sock')]);
      expect(one.status).toBe(3); // no daemon: the command ran its whole path
      expect(one.stderr).not.toContain('LOADED');
      // `tend shell` without a terminal says so instead of waiting for keys that never come
      const noTty = spawnSync(process.execPath, [CLI, 'shell', '--socket', join(dir, 'none.sock')], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 10_000,
      });
      expect(noTty.status).toBe(2);
      expect(noTty.stderr).toContain('tend shell: needs a terminal');
      // the hook itself sees an import of Ink
      expect(run(['--input-type=module', '-e', "await import('ink')"]).stderr).toContain('LOADED');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
