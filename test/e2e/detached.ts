// A project folder whose daemon runs in the background (`tend up -d`, or started by `tend run
// NAME -- CMD`): closing it shuts the daemon down with `tend shutdown`, and kills what is left
// (the daemon by pid, its services by process group) when that did not work.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pidAlive, tend, waitFor, type RunResult } from './harness.js';

export class DetachedProject {
  readonly dir: string;

  /** `yaml` undefined: a folder without a config. */
  constructor(yaml?: string, files: Record<string, string> = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'tend-e2e-bg-'));
    if (yaml !== undefined) writeFileSync(join(this.dir, 'tend.yaml'), yaml);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(this.dir, name), text);
  }

  get socket(): string {
    return join(this.dir, '.tend/tend.sock');
  }

  /** log_dir/tend.out of the default log_dir */
  get outFile(): string {
    return join(this.dir, '.tend/logs/tend.out');
  }

  /** what the daemon wrote to log_dir/tend.out (shown when a test failed) */
  get err(): string {
    try {
      return readFileSync(this.outFile, 'utf8');
    } catch {
      return '';
    }
  }

  run(args: string[], env?: NodeJS.ProcessEnv, timeoutMs = 90_000): Promise<RunResult> {
    return tend(this.dir, args, { env, timeoutMs });
  }

  async status(): Promise<Array<Record<string, any>>> {
    const r = await this.run(['status', '--json']);
    if (r.code !== 0) throw new Error(`status failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  /** The daemon's pid, or undefined when none answers. */
  async pid(): Promise<number | undefined> {
    const r = await this.run(['ping']);
    return r.code === 0 ? Number(r.stdout.trim()) : undefined;
  }

  async close(): Promise<void> {
    const pid = await this.pid();
    if (pid !== undefined) {
      let groups: number[] = [];
      try {
        groups = (await this.status()).map((r) => r.pid).filter((x): x is number => typeof x === 'number');
      } catch {
        // it stopped answering: nothing to remember
      }
      await this.run(['shutdown', '--timeout', '30s']);
      if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
      await waitFor(() => !pidAlive(pid), `tend (pid ${pid}) to be gone`, 15_000).catch(() => undefined);
      for (const g of groups) {
        try {
          process.kill(-g, 'SIGKILL');
        } catch {
          // gone with the daemon, as it should be
        }
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
