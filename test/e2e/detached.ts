// A project folder whose daemon runs in the background (`tend up -d`, or started by `tend run
// NAME -- CMD`): closing it shuts the daemon down with `tend shutdown`, and kills what is left
// (the daemon by pid, its services by process group) when that did not work.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { askDaemon, pidAlive, tend, waitFor, type RunResult } from './harness.js';

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

  /**
   * The daemon's pid and its services' rows, asked on the socket from this process (the CLI's
   * ping and status cost a node start each, at every close); the CLI's ping when the socket
   * is there but does not answer. No socket file: no daemon (these tests keep the default path).
   */
  private async running(): Promise<{ pid: number | undefined; groups: number[] }> {
    if (!existsSync(this.socket)) return { pid: undefined, groups: [] };
    const ping = await askDaemon(this.socket, 'ping', {}).catch(() => undefined);
    if (ping === undefined) return { pid: await this.pid(), groups: [] };
    const rows: Array<Record<string, unknown>> =
      (await askDaemon(this.socket, 'status', {}).catch(() => undefined))?.services ?? [];
    return { pid: ping.pid, groups: rows.map((r) => r.pid).filter((x): x is number => typeof x === 'number') };
  }

  async close(): Promise<void> {
    const { pid, groups } = await this.running();
    if (pid !== undefined) {
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
