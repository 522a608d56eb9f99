// A rootless tend for the end-to-end tests: the daemon and every CLI run as nobody, through setpriv(1).
import { chownSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { askDaemon, CLI, Project, type RunResult, tend } from './harness.js';

/** setpriv(1)'s options that make a process nobody (uid and gid 65534): tend()'s `as`. */
export const NOBODY = ['--reuid', '65534', '--regid', '65534', '--clear-groups'];

/** A project whose daemon and CLI run as nobody (uid and gid 65534). */
export class RootlessProject extends Project {
  private readonly as = NOBODY;

  /** Gives the folder and what is in it to nobody, then starts `tend up` as nobody. */
  override async up(): Promise<void> {
    chownSync(this.dir, 65534, 65534);
    for (const f of readdirSync(this.dir)) chownSync(join(this.dir, f), 65534, 65534);
    await this.launch(
      'setpriv',
      [...this.as, process.execPath, CLI, 'up'],
      { HOME: '/' },
      'the rootless daemon socket',
      // asked from this process (root may connect to nobody's socket): a `tend status` as
      // nobody each 25 ms was a setpriv and a node start each; the tests run the CLI as nobody
      async () => (await askDaemon(this.socket, 'status', {})) !== undefined,
    );
  }

  override run(args: string[]): Promise<RunResult> {
    return tend(this.dir, args, { env: { HOME: '/' }, as: this.as });
  }
}
