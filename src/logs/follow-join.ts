// `tend logs -f` and `tend events -f` with a daemon: subscribe first (the live items wait here),
// learn where the files end for that subscription, print the files up to there, then the items
// held meanwhile and the live ones: no gap, no item twice.
import type { RunIo } from '../commands/command.js';
import type { UntypedClient } from '../control/client.js';

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

/** Why: the one join of files and live items both followers use. Resolves when the stream ends (Ctrl-C, shutdown). */
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
    await s.done;
  } finally {
    io.signal?.removeEventListener('abort', abort);
  }
}
