// A slab pool for the formatted batches of chatty services. A service writing hundreds of MB/s
// would otherwise make ~1.4x that much short-lived garbage outside the V8 heap, which V8
// collects late: tens of MB of RSS. Batches are cut from 256 KiB slabs, counted, and a slab is
// reused once every batch cut from it is written and out of the tail.
// Rule for users: a pooled buffer must not be kept after release(); hand out copies.

const SLAB = 256 * 1024;
/** Smaller batches get a buffer of their own. */
const MIN_POOLED = 8 * 1024;
/** Idle slabs kept for reuse, across all services. */
const MAX_FREE = 32;

interface Slab {
  buf: Buffer;
  used: number;
  refs: number;
}

const owners = new WeakMap<ArrayBufferLike, Slab>();
const free: Slab[] = [];
let current: Slab | undefined;

function newSlab(): Slab {
  const slab = { buf: Buffer.allocUnsafeSlow(SLAB), used: 0, refs: 0 };
  owners.set(slab.buf.buffer, slab);
  return slab;
}

/** An uninitialised buffer of n bytes, with one reference held by the caller. */
export function allocBatch(n: number): Buffer {
  // not Buffer.allocUnsafe: a small batch kept in a tail would pin a whole 8 KiB slab of Node's
  // pool, shared with unrelated buffers
  if (n < MIN_POOLED || n > SLAB / 2) return Buffer.allocUnsafeSlow(n);
  if (current === undefined || current.used + n > SLAB) {
    if (current !== undefined && current.refs === 0) current.used = 0;
    else current = free.pop() ?? newSlab();
  }
  const at = current.used;
  current.used = (at + n + 7) & ~7;
  current.refs++;
  return current.buf.subarray(at, at + n);
}

/** One more holder of a buffer from allocBatch (others are ignored). */
export function retainBatch(buf: Buffer): void {
  const slab = owners.get(buf.buffer);
  if (slab !== undefined) slab.refs++;
}

/** A holder is done with a buffer from allocBatch; its slab is reused when none is left. */
export function releaseBatch(buf: Buffer): void {
  const slab = owners.get(buf.buffer);
  if (slab === undefined || --slab.refs > 0) return;
  slab.used = 0;
  if (slab !== current && free.length < MAX_FREE) free.push(slab);
}
