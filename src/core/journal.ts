// The journal: every action and exit, with time and reason. Kept in memory (bounded) for
// `tend events`, with live subscribers for `events -f` and for `tend up`'s stderr.
import type { JournalEntry, State } from './types.js';

export class Journal {
  private entries: JournalEntry[] = [];
  private listeners = new Set<(e: JournalEntry) => void>();
  constructor(private readonly capacity = 10_000) {}

  /** Records one entry and hands it to every subscriber. */
  add(service: string, what: string, why: string, state?: State, time = Date.now()): JournalEntry {
    const e: JournalEntry = { time: new Date(time).toISOString(), service, what, why };
    if (state) e.state = state;
    this.entries.push(e);
    if (this.entries.length > this.capacity * 1.5) this.entries = this.entries.slice(-this.capacity);
    for (const l of this.listeners) l(e);
    return e;
  }

  /** The last n entries (all when n is undefined), oldest first. */
  last(n?: number): JournalEntry[] {
    const all = this.entries.length > this.capacity ? this.entries.slice(-this.capacity) : this.entries;
    return n === undefined ? all.slice() : n <= 0 ? [] : all.slice(-n);
  }

  subscribe(fn: (e: JournalEntry) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
