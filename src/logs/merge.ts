// Merging the lines of several instances (`logs a b`, a replica set, `all`) into one stream by
// time: a k-way merge over each instance's batches, streaming, a batch at a time from each.
import type { LogEntry } from './line-format.js';

/** Lines out per batch of the merged stream. */
const OUT = 1024;

interface Head {
  src: number;
  batch: LogEntry[];
  i: number;
  it: AsyncIterator<LogEntry[]>;
}

/** a before b in the merged order: by time, then by the order of the sources (stable) */
function before(a: Head, b: Head, newestFirst: boolean): boolean {
  const ta = a.batch[a.i]!.ts;
  const tb = b.batch[b.i]!.ts;
  if (ta !== tb) return newestFirst ? ta > tb : ta < tb;
  return newestFirst ? a.src > b.src : a.src < b.src;
}

/**
 * Why: one time-ordered stream out of many. Each source yields batches in its own time order
 * (oldest first, or newest first with `newestFirst`); so does the result. Ties go by the order
 * of the sources (reversed when newest first, so both directions are one order).
 */
export async function* mergeByTime(sources: Array<AsyncIterable<LogEntry[]>>, newestFirst = false): AsyncGenerator<LogEntry[]> {
  if (sources.length === 1) {
    yield* sources[0]!;
    return;
  }
  const heap: Head[] = [];
  const its = sources.map((s) => s[Symbol.asyncIterator]());
  try {
    const next = async (src: number, it: AsyncIterator<LogEntry[]>): Promise<void> => {
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        if (r.value.length > 0) {
          push({ src, batch: r.value, i: 0, it });
          return;
        }
      }
    };
    const push = (h: Head) => {
      heap.push(h);
      let i = heap.length - 1;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!before(heap[i]!, heap[p]!, newestFirst)) break;
        [heap[i], heap[p]] = [heap[p]!, heap[i]!];
        i = p;
      }
    };
    const down = () => {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l]!, heap[m]!, newestFirst)) m = l;
        if (r < heap.length && before(heap[r]!, heap[m]!, newestFirst)) m = r;
        if (m === i) return;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    };
    await Promise.all(its.map((it, src) => next(src, it)));
    let out: LogEntry[] = [];
    while (heap.length > 0) {
      const top = heap[0]!;
      out.push(top.batch[top.i++]!);
      if (top.i < top.batch.length) down();
      else {
        // this source's batch is used up: take it out, ask it for its next one
        const last = heap.pop()!;
        if (heap.length > 0 && last !== top) {
          heap[0] = last;
          down();
        }
        if (out.length > 0) {
          yield out;
          out = [];
        }
        await next(top.src, top.it);
        continue;
      }
      if (out.length >= OUT) {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
  } finally {
    await Promise.all(its.map((it) => it.return?.()));
  }
}
