import { readdir, readFile, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal } from '../../src/core/journal.js';
import type { JournalEntry } from '../../src/core/types.js';
import { JournalFile, journalFileOf, readJournal, type JournalQuery } from '../../src/logs/journal-file.js';
import { tmp } from './helpers.js';

let dir: string;
let done: () => Promise<void>;
beforeEach(async () => ({ dir, done } = await tmp()));
afterEach(() => done());

const T0 = Date.UTC(2026, 11, 5, 10, 0, 0);

async function read(file: string, q: JournalQuery = {}): Promise<{ entries: JournalEntry[]; gone: unknown[] }> {
  const r = await readJournal(file, q);
  const entries: JournalEntry[] = [];
  for await (const b of r.entries()) entries.push(...b);
  return { entries, gone: r.gone };
}

describe('JournalFile', () => {
  it('keeps the entries added while a write is on its way (they once went with it, unwritten)', async () => {
    const file = journalFileOf(dir);
    const journal = new Journal();
    const jf = new JournalFile({ file, maxSize: 0, keep: 3 });
    jf.attach(journal);
    journal.add('a', 'spawn', 'first', undefined, T0);
    // the first write starts on the next turn; add more on each of the turns while it goes
    for (let k = 1; k <= 50; k++) {
      await new Promise((r) => setImmediate(r));
      journal.add('a', 'state', `entry ${k}`, undefined, T0 + k);
    }
    await jf.close();
    const whys = (await read(file)).entries.map((e) => e.why);
    expect(whys).toEqual(['first', ...Array.from({ length: 50 }, (_, k) => `entry ${k + 1}`)]);
  });

  it('appends what the journal adds, time first, and reads it back', async () => {
    const file = journalFileOf(dir);
    const journal = new Journal();
    const jf = new JournalFile({ file, maxSize: 0, keep: 3 });
    const detach = jf.attach(journal);
    journal.add('web-1', 'spawn', 'started (pid 42)', 'starting', T0);
    journal.add('db', 'state', 'ready: probe passed', 'running', T0 + 1);
    journal.add('tend', 'reload', 'config "a\\"b" changed', undefined, T0 + 2);
    detach();
    journal.add('web-1', 'exit', 'not written: detached', undefined, T0 + 3);
    await jf.close();
    const text = await readFile(file, 'utf8');
    expect(text.split('\n')).toEqual([
      `{"time":"2026-12-05T10:00:00.000Z","service":"web-1","what":"spawn","why":"started (pid 42)","state":"starting"}`,
      `{"time":"2026-12-05T10:00:00.001Z","service":"db","what":"state","why":"ready: probe passed","state":"running"}`,
      `{"time":"2026-12-05T10:00:00.002Z","service":"tend","what":"reload","why":"config \\"a\\\\\\"b\\" changed"}`,
      '',
    ]);
    expect((await read(file)).entries).toEqual(journal.last().slice(0, 3));
  });

  it('rotates by size and reads back across the files: last N, since, by service', async () => {
    const file = journalFileOf(dir);
    const jf = new JournalFile({ file, maxSize: 4096, keep: 3 });
    const all: JournalEntry[] = [];
    for (let i = 0; i < 200; i++) {
      const e: JournalEntry = {
        time: new Date(T0 + i * 1000).toISOString(),
        service: `svc-${i % 3}`,
        what: 'state',
        why: `step ${i}`,
      };
      all.push(e);
      jf.append(e);
      if (i % 10 === 9) await jf.flush();
    }
    await jf.close();
    const names = (await readdir(dir)).sort();
    expect(names).toEqual(['tend.events', 'tend.events.1', 'tend.events.2', 'tend.events.3', 'tend.events.dropped']);
    const { entries, gone } = await read(file, {});
    const kept = all.slice(all.length - entries.length);
    expect(entries).toEqual(kept);
    expect(entries.length).toBeLessThan(200);
    expect(gone).toEqual([{ instance: 'tend', before: kept[0]!.time }]);
    expect((await read(file, { n: 4 })).entries).toEqual(all.slice(-4));
    expect((await read(file, { since: T0 + 190_000 })).entries).toEqual(all.slice(190));
    expect((await read(file, { since: T0 + 190_000, until: T0 + 192_000 })).entries).toEqual(all.slice(190, 193));
    expect((await read(file, { services: ['svc-1'], n: 3 })).entries).toEqual(all.filter((e) => e.service === 'svc-1').slice(-3));
    expect((await read(file, { services: ['svc-1', 'svc-2'], n: 4 })).entries.map((e) => e.why)).toEqual([
      'step 194',
      'step 196',
      'step 197',
      'step 199',
    ]);
    expect((await read(file, { services: ['svc'] })).entries).toEqual([]);
  });

  it('writes the entries of one event-loop turn in one batch, in order', async () => {
    const file = journalFileOf(dir);
    const jf = new JournalFile({ file, maxSize: 0, keep: 1 });
    for (let i = 0; i < 1000; i++) jf.append({ time: new Date(T0 + i).toISOString(), service: 'a', what: 'x', why: String(i) });
    // nothing is written within the turn
    await expect(readFile(file)).rejects.toThrow(/ENOENT/);
    await jf.close();
    expect((await read(file)).entries.map((e) => e.why)).toEqual(Array.from({ length: 1000 }, (_, i) => String(i)));
  });

  it('does not follow a symlink at its path, says so once, and writes the kept entries once it can', async () => {
    const file = journalFileOf(dir);
    const target = join(dir, 'elsewhere');
    await writeFile(target, '');
    await symlink(target, file);
    const errors: string[] = [];
    const jf = new JournalFile({ file, maxSize: 0, keep: 1, onError: (m) => errors.push(m) });
    jf.append({ time: new Date(T0).toISOString(), service: 'a', what: 'x', why: 'one' });
    await jf.flush();
    jf.append({ time: new Date(T0 + 1).toISOString(), service: 'a', what: 'x', why: 'two' });
    await jf.flush();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^cannot write the journal .*tend\.events: ELOOP/);
    expect(await readFile(target, 'utf8')).toBe('');
    expect(jf.failedTimes).toBe(1); // one time it began to fail, not one per try
    await unlink(file);
    jf.append({ time: new Date(T0 + 2).toISOString(), service: 'a', what: 'x', why: 'three' });
    await jf.close();
    expect((await read(file)).entries.map((e) => e.why)).toEqual(['one', 'two', 'three']);
    expect(jf.failedTimes).toBe(1);
  });

  it('past its buffer while failing, counts the entries dropped and says so in the file once it can write', async () => {
    const file = journalFileOf(dir);
    const target = join(dir, 'elsewhere');
    await writeFile(target, '');
    await symlink(target, file);
    const jf = new JournalFile({ file, maxSize: 0, keep: 1 });
    const why = 'x'.repeat(1000);
    jf.append({ time: new Date(T0).toISOString(), service: 'a', what: 'x', why: 'first' });
    await jf.flush(); // failing from here
    // ~2 MB of entries against the 1 MiB kept while failing
    for (let k = 1; k < 2000; k++) jf.append({ time: new Date(T0 + k).toISOString(), service: 'a', what: 'x', why });
    await jf.flush();
    expect(jf.unwritable).toBe(true);
    await unlink(file);
    jf.append({ time: new Date(T0 + 5000).toISOString(), service: 'a', what: 'x', why: 'after' });
    await jf.close();
    const entries = (await read(file)).entries;
    const note = entries.find((e) => e.service === 'tend');
    const lost = Number(/^(\d+) journal entries lost while .*tend\.events was unwritable$/.exec(note?.why ?? '')?.[1]);
    expect(entries.length - 1 + lost).toBe(2001); // each entry written, or counted in the note
    expect(entries.at(-1)?.why).toBe('after');
    expect(jf.failedTimes).toBe(1);
  });

  it('reads nothing, without an error, when there is no journal file yet', async () => {
    expect(await read(journalFileOf(join(dir, 'none')), { n: 10 })).toEqual({ entries: [], gone: [] });
  });
});
