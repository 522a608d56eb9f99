// The join of files and live items that `tend logs -f` and `tend events -f` share, against a
// scripted stream: the order of where, past, held and live items, and what a lag does (with a
// catch-up: a new subscription and the files up to its mark; without: a line on stderr). The
// real thing, a daemon and a follower that falls behind, is in test/e2e/logs-read.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunIo } from '../../src/commands/command.js';
import type { Client, ClientStream, UntypedClient } from '../../src/control/client.js';
import { TendError } from '../../src/core/errors.js';
import { runEvents } from '../../src/logs/events-view.js';
import { followJoined, HELD_BYTES, type JoinSpec } from '../../src/logs/follow-join.js';
import { tmp } from './helpers.js';

/** One subscription as the daemon would drive it. */
interface Sub {
  args: Record<string, unknown>;
  event(e: unknown): void;
  lag(n: number): void;
  end(err?: TendError): void;
  closed: boolean;
}

function scripted(): { client: UntypedClient & { close(): void }; subs: Sub[]; opened: () => Promise<Sub> } {
  const subs: Sub[] = [];
  let waiter: ((s: Sub) => void) | undefined;
  const client: UntypedClient & { close(): void } = {
    close() {},
    request: () => Promise.reject(new Error('no request expected')),
    stream(_cmd, args, onEvent, onLag): ClientStream {
      let settle!: { resolve(): void; reject(e: TendError): void };
      const done = new Promise<unknown>((resolve, reject) => (settle = { resolve: () => resolve(undefined), reject }));
      done.catch(() => {});
      const sub: Sub = {
        args: args as Record<string, unknown>,
        event: (e) => !sub.closed && onEvent(e),
        lag: (n) => !sub.closed && onLag(n),
        end: (err) => (err ? settle.reject(err) : settle.resolve()),
        closed: false,
      };
      subs.push(sub);
      waiter?.(sub);
      return {
        done,
        close() {
          sub.closed = true;
          settle.resolve();
        },
      };
    },
  };
  const opened = (): Promise<Sub> => {
    const n = subs.length;
    return new Promise((resolve) => {
      waiter = (s) => subs.length > n && resolve(s);
    });
  };
  return { client, subs, opened };
}

const tick = () => new Promise((r) => setTimeout(r, 1));

function io(): RunIo & { text: string; errors: string } {
  const o = {
    text: '',
    errors: '',
    color: false,
    out: (t: string) => void (o.text += t),
    err: (t: string) => void (o.errors += t),
    connect: () => Promise.reject(new Error('unused')),
  };
  return o;
}

type W = { upTo: number };
type E = { n: number; size?: number };

/** past prints `files[..where]`, catchUp `files(last printed..where]`: the files as one list of numbers. */
function spec(files: number[], o: ReturnType<typeof io>, withCatchUp = true): JoinSpec<W, E> & { calls: string[] } {
  let printed = 0;
  const calls: string[] = [];
  const upTo = async (w: W) => {
    for (const n of files) if (n > printed && n <= w.upTo) o.out(`${n}\n`);
    printed = Math.max(printed, w.upTo);
  };
  return {
    cmd: 'logs',
    args: () => ({ names: ['x'] }),
    items: 'lines',
    calls,
    past: async (w) => {
      calls.push(`past ${w.upTo}`);
      await upTo(w);
    },
    live: (e) => {
      printed = e.n;
      o.out(`${e.n}\n`);
    },
    ...(withCatchUp
      ? {
          catchUp: async (w: W) => {
            calls.push(`catchUp ${w.upTo}`);
            await upTo(w);
          },
        }
      : {}),
    weigh: (e) => e.size ?? 10,
  };
}

const nums = (text: string) => text.trim().split('\n').map(Number);
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('followJoined', () => {
  it('prints the files up to where, then what was held, then the live items', async () => {
    const { client, opened } = scripted();
    const o = io();
    const s = spec(range(1, 5), o);
    const first = opened();
    const run = followJoined(client, s, o);
    const a = await first;
    expect(a.args).toMatchObject({ names: ['x'], follow: true, where: true });
    a.event({ n: 6 }); // before where: held
    a.event({ where: { upTo: 5 } });
    await tick();
    a.event({ n: 7 });
    a.end();
    await run;
    expect(nums(o.text)).toEqual(range(1, 7));
    expect(s.calls).toEqual(['past 5']);
  });

  it('after a lag follows again and prints the files from the last item up to the new where; the old stream is closed', async () => {
    const { client, subs, opened } = scripted();
    const o = io();
    const s = spec(range(1, 100), o);
    const first = opened();
    const run = followJoined(client, s, o);
    const a = await first;
    a.event({ where: { upTo: 10 } });
    await tick();
    a.event({ n: 11 });
    a.event({ n: 12 });
    const second = opened();
    a.lag(30); // 13..42 skipped
    a.event({ n: 43 }); // after the lag: left for the files
    const b = await second;
    expect(a.closed).toBe(true);
    b.event({ n: 51 }); // held: after the new where
    b.event({ where: { upTo: 50 } });
    await tick();
    b.event({ n: 52 });
    b.end();
    await run;
    expect(nums(o.text)).toEqual(range(1, 52));
    expect(s.calls).toEqual(['past 10', 'catchUp 50']);
    expect(subs).toHaveLength(2);
    expect(o.errors).toBe('');
  });

  it('a lag before where (the files still being read) and held items past HELD_BYTES start a catch-up too', async () => {
    const { client, opened } = scripted();
    const o = io();
    const s = spec(range(1, 100), o);
    let next = opened();
    const run = followJoined(client, s, o);
    const a = await next;
    next = opened();
    a.event({ n: 21 });
    a.lag(5); // before its where: the where still comes, then a catch-up
    a.event({ where: { upTo: 20 } });
    const b = await next;
    next = opened();
    b.event({ n: 31, size: HELD_BYTES + 1 }); // held too much: dropped, the files tell it
    b.event({ where: { upTo: 30 } });
    const c = await next;
    c.event({ where: { upTo: 40 } });
    await tick();
    c.end();
    await run;
    expect(nums(o.text)).toEqual(range(1, 40));
    expect(s.calls).toEqual(['past 20', 'catchUp 30', 'catchUp 40']);
  });

  it('without catchUp, a lag is said on stderr and the stream goes on', async () => {
    const { client, subs, opened } = scripted();
    const o = io();
    const s = spec(range(1, 3), o, false);
    const first = opened();
    const run = followJoined(client, s, o);
    const a = await first;
    a.event({ where: { upTo: 3 } });
    await tick();
    a.lag(12);
    a.event({ n: 16 });
    a.end();
    await run;
    expect(nums(o.text)).toEqual([1, 2, 3, 16]);
    expect(o.errors).toBe('tend: 12 lines skipped: this client read too slowly\n');
    expect(subs).toHaveLength(1);
  });

  it('the daemon going away ends the follow (exit 0) with a line, also while it follows again', async () => {
    const { client, opened } = scripted();
    const o = io();
    const first = opened();
    const run = followJoined(client, spec(range(1, 3), o), o);
    const a = await first;
    a.event({ where: { upTo: 3 } });
    await tick();
    const second = opened();
    a.lag(1);
    const b = await second;
    b.end(new TendError('connection_lost', 'gone'));
    await run;
    expect(o.errors).toBe('tend: the daemon went away: no more lines to follow\n');
  });

  it('an error before the first where (an unknown name) is thrown', async () => {
    const { client, opened } = scripted();
    const o = io();
    const first = opened();
    const run = followJoined(client, spec([], o), o);
    (await first).end(new TendError('unknown_service', 'unknown service "x"'));
    await expect(run).rejects.toThrow('unknown service "x"');
  });
});

describe('tend events -f catching up', () => {
  let dir: string;
  let done: () => Promise<void>;
  beforeEach(async () => ({ dir, done } = await tmp()));
  afterEach(() => done());
  const T = Date.UTC(2026, 11, 5, 10, 0, 0);

  /** A journal file of entries `entry 1`... at `times` (of service `serviceOf(i)`), and `tend events a -f` through a scripted daemon. */
  async function followJournal(times: number[], serviceOf: (i: number) => string) {
    const entries = times.map((t, i) => ({
      time: new Date(t).toISOString(),
      service: serviceOf(i),
      what: 'note',
      why: `entry ${i + 1}`,
    }));
    const file = join(dir, 'tend.events');
    await writeFile(file, entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
    const { client, opened } = scripted();
    const o = io();
    o.connect = async () => client as unknown as Client;
    const first = opened();
    const run = runEvents({ names: ['a'], follow: true, lines: 100 }, false, o);
    return { entries, file, o, run, opened, a: await first };
  }

  it('reads the journal from the last mark, skips the entries printed live since, prints the rest up to the new mark', async () => {
    // entries 1..10; 4, 5 and 6 share a millisecond; a and b alternate
    const times = [T, T + 1, T + 2, T + 3, T + 3, T + 3, T + 4, T + 5, T + 6, T + 7];
    const { entries, file, o, run, opened, a } = await followJournal(times, (i) => (i % 2 === 0 ? 'a' : 'b'));
    // the daemon's mark after entry 4 (the first of the three at T + 3), then entry 5 live (an a)
    a.event({ where: { file, keep: 5, services: ['a'], up_to: { time: T + 3, count: 1 } } });
    while (!o.text.includes('entry 3')) await tick(); // the file up to the mark is printed
    a.event(entries[4]);
    while (!o.text.includes('entry 5')) await tick(); // printed (held until the past was)
    const second = opened();
    a.lag(3);
    const b = await second;
    b.event({ where: { file, keep: 5, services: ['a'], up_to: { time: T + 7, count: 1 } } });
    await tick();
    b.end();
    expect(await run).toBe(0);
    expect(
      o.text
        .trim()
        .split('\n')
        .map((l) => l.split(' ').at(-1)),
    ).toEqual(['1', '3', '5', '7', '9']);
    expect(o.errors).toBe('');
  });

  it('says its place may be wrong when the journal file failed to be written between two marks', async () => {
    const { file, o, run, opened, a } = await followJournal([T, T + 1, T + 2, T + 3], () => 'a');
    a.event({ where: { file, keep: 5, services: ['a'], up_to: { time: T + 1, count: 1 } } });
    while (!o.text.includes('entry 2')) await tick();
    const second = opened();
    a.lag(2);
    const b = await second;
    b.event({ where: { file, keep: 5, services: ['a'], up_to: { time: T + 3, count: 1 }, failures: 1 } });
    await tick();
    b.end();
    expect(await run).toBe(0);
    expect(o.text).toContain('entry 4'); // the rest is still printed, as well as it can be
    expect(o.errors).toBe(
      'tend: entries may be missing or printed twice here: this client read too slowly, and the journal file could not be written for a while\n',
    );
  });
});
