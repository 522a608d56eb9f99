// `tend logs -f` and `tend events -f` with a daemon: subscribe first (the live items wait here),
// learn where the files end for that subscription, print the files up to there, then the items
// held meanwhile and the live ones: no gap, no item twice.
import type { RunIo } from '../commands/command.js';
import type { UntypedClient } from '../control/client.js';
import type { TendError } from '../core/errors.js';

/** What differs between logs and events. */
export interface JoinSpec<W, E> {
  cmd: 'logs' | 'events';
  args: Record<string, unknown>;
  /** `lines` or `events`: the words of the lag line */
  items: string;
  /** prints what the files hold up to `where` */
  past(where: W): Promise<void>;
  /** prints one live item */
  live(item: E): void;
}

/** Why: the one join of files and live items both followers use. Resolves when the stream ends (Ctrl-C, the daemon gone). */
export async function followJoined<W, E>(client: UntypedClient, spec: JoinSpec<W, E>, io: RunIo): Promise<void> {
  let waiting: E[] | undefined = [];
  let resolveWhere!: (w: W) => void;
  const whereP = new Promise<W>((resolve) => (resolveWhere = resolve));
  const s = client.stream(
    spec.cmd,
    { ...spec.args, follow: true, where: true },
    (e) => {
      const ev = e as { where?: unknown };
      if (typeof ev.where === 'object' && ev.where !== null) return resolveWhere(ev.where as W);
      if (waiting) waiting.push(e as E);
      else spec.live(e as E);
    },
    (n) => io.err(`tend: ${n} ${spec.items} skipped: this client read too slowly\n`),
  );
  const abort = (): void => s.close();
  io.signal?.addEventListener('abort', abort);
  try {
    const where = await Promise.race([whereP, s.done.then(() => undefined)]);
    if (where === undefined) return;
    await spec.past(where);
    const held = waiting;
    waiting = undefined;
    for (const e of held) spec.live(e);
    try {
      await s.done;
    } catch (e) {
      // the daemon went away (tend shutdown, a crash): its services' output went with it, so
      // nothing more will come; the follow is over, not failed (it exited 1 with an error)
      // by its code: this module is loaded apart from the bundled client, whose TendError is
      // another class (scripts/bundle.mjs)
      if ((e as TendError | undefined)?.code !== 'connection_lost') throw e;
      io.err(`tend: the daemon went away: no more ${spec.items} to follow\n`);
    }
  } finally {
    io.signal?.removeEventListener('abort', abort);
  }
}
