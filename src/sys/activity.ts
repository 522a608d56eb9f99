// Bursts of work in the daemon (log bytes captured, control bytes read), told to whoever tunes
// itself by them: V8's incremental marking is on only during and after one (daemon/memory.ts).
// Counted where the bytes pass, a comparison and an addition each time.

/** Bytes within a second that make a burst. */
export const BURST_BYTES = 1024 * 1024;

let onBurst: ((now: number) => void) | undefined;
let windowStart = 0;
let windowBytes = 0;

/** n bytes of work at `now` (ms). */
export function noteBytes(n: number, now: number): void {
  if (onBurst === undefined) return;
  if (now - windowStart >= 1000) {
    windowStart = now;
    windowBytes = 0;
  }
  windowBytes += n;
  if (windowBytes >= BURST_BYTES) onBurst(now);
}

/** Calls fn (with the time) at each noteBytes while a burst goes on; undefined: no one listens. */
export function whenBursting(fn: ((now: number) => void) | undefined): void {
  onBurst = fn;
  windowStart = 0;
  windowBytes = 0;
}
