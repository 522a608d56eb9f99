// `tend logs -f` and `tend events -f` with a daemon: subscribe first (the live items wait here),
// learn where the files end for that subscription, print the files up to there, then the items
// held meanwhile and the live ones: no gap, no item twice. A follower that falls behind (the
// daemon skips what it cannot send, docs/protocol.md "Streams") catches up from the files when
// it can (catchUp): it subscribes again and prints what the files hold from its last item up to
// where the new subscription begins, so it loses nothing either.
import type { RunIo } from '../commands/command.js';
import type { ClientStream, UntypedClient } from '../control/client.js';
import type { TendError } from '../core/errors.js';

/** What differs between logs and events. */
export interface JoinSpec<W, E> {
  cmd: 'logs' | 'events';
  /** the request's arguments, asked again at each subscription (a catch-up may narrow them) */
  args(): Record<string, unknown>;
  /** `lines` or `events`: the words of the lag line */
  items: string;
  /** prints what the files hold up to `where` */
  past(where: W): Promise<void>;
  /** prints one live item */
  live(item: E): void;
  /**
   * After the stream skipped items: prints what the files hold from the last item printed up to
   * `where` (a new subscription's). Without it a lag is told as a line on stderr.
   */
  catchUp?(where: W): Promise<void>;
  /** about how many bytes an item holds (bounds what waits while the files are printed) */
  weigh?(item: E): number;
  /**
   * The daemon went away: prints what the files hold past the last item printed (a follower that
   * was behind, or lines the daemon wrote as it stopped, after its last send).
   */
  finish?(): Promise<void>;
}

/**
 * Bytes of live items held while the files are printed; past it they are dropped and the files
 * tell them too (one more catch-up), so a follower whose output is slow stays small.
 */
export const HELD_BYTES = 8 * 1024 * 1024;

/** Why: the one join of files and live items both followers use. Resolves when the stream ends (Ctrl-C, the daemon gone). */
export async function followJoined<W, E>(client: UntypedClient, spec: JoinSpec<W, E>, io: RunIo): Promise<void> {
  let current: ClientStream | undefined;
  let aborted = false;
  const abort = (): void => {
    aborted = true;
    current?.close();
  };
  io.signal?.addEventListener('abort', abort);
  try {
    let print = spec.past;
    for (let round = 0; ; round++) {
      const s = subscribe(client, spec, io);
      current = s.stream;
      if (aborted) s.stream.close();
      let where: W | undefined;
      try {
        where = await Promise.race([s.where, s.stream.done.then(() => undefined)]);
      } catch (e) {
        // the first time, an error (no such service...); later, only the daemon going away
        if (round === 0 || !isGone(e)) throw e;
        return await wentAway(spec, io);
      }
      if (where === undefined) return;
      await print(where);
      if (spec.catchUp) print = spec.catchUp;
      if (aborted) return;
      const next = await s.goLive();
      if (next === 'gone') return await wentAway(spec, io);
      if (next === 'ended') return;
      // it fell behind: this stream's further items are left for the files, and a new one begins
      s.stream.close();
      if (aborted) return;
    }
  } finally {
    io.signal?.removeEventListener('abort', abort);
    current?.close(); // also after an error: the daemon stops sending (the shell's connection stays)
  }
}

/**
 * One subscription: its `where`, then goLive() prints what waited and the live items until it
 * ends (closed), its daemon goes away, or it lags.
 */
function subscribe<W, E>(
  client: UntypedClient,
  spec: JoinSpec<W, E>,
  io: RunIo,
): { stream: ClientStream; where: Promise<W>; goLive(): Promise<'ended' | 'gone' | 'lagged'> } {
  let waiting: E[] | undefined = [];
  let held = 0;
  let lagged = false;
  let onLag: (() => void) | undefined;
  const fellBehind = (): void => {
    lagged = true;
    waiting = undefined;
    onLag?.();
  };
  let resolveWhere!: (w: W) => void;
  const where = new Promise<W>((resolve) => (resolveWhere = resolve));
  const stream = client.stream(
    spec.cmd,
    { ...spec.args(), follow: true, where: true },
    (e) => {
      const ev = e as { where?: unknown };
      if (typeof ev.where === 'object' && ev.where !== null) return resolveWhere(ev.where as W);
      if (lagged) return;
      if (!waiting) return spec.live(e as E);
      waiting.push(e as E);
      held += spec.weigh?.(e as E) ?? 0;
      if (spec.catchUp && held > HELD_BYTES) fellBehind();
    },
    (n) => {
      if (spec.catchUp) fellBehind();
      else io.err(`tend: ${n} ${spec.items} skipped: this client read too slowly\n`);
    },
  );
  return {
    stream,
    where,
    async goLive() {
      const items = waiting ?? [];
      waiting = undefined;
      for (const e of items) spec.live(e);
      if (lagged) return 'lagged';
      const lag = new Promise<'lagged'>((resolve) => (onLag = () => resolve('lagged')));
      try {
        return await Promise.race([stream.done.then(() => 'ended' as const), lag]);
      } catch (e) {
        if (!isGone(e)) throw e;
        return 'gone';
      }
    },
  };
}

/**
 * Whether the error is the daemon going away (tend shutdown, a crash). By its code: this module
 * is loaded apart from the bundled client, whose TendError is another class (scripts/bundle.mjs).
 */
function isGone(e: unknown): boolean {
  return (e as TendError | undefined)?.code === 'connection_lost';
}

/**
 * The daemon went away: its services' output went with it, so nothing more will come; what the
 * files hold past the last item printed is printed (finish), and the follow is over, not failed
 * (it exited 1 with an error).
 */
async function wentAway(spec: { items: string; finish?(): Promise<void> }, io: RunIo): Promise<void> {
  await spec.finish?.();
  io.err(`tend: the daemon went away: no more ${spec.items} to follow\n`);
}
