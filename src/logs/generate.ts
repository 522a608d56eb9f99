// Writes a well-formed service log of any size fast, for the tests and the benchmark of the
// readers (a 1 GB log in seconds): blocks of fixed-length lines with increasing times, patched in
// place, written 1 MiB at a time. Line `seq` is `TIME TAG seq=0000000042 WORD ....`: 100 bytes,
// stderr (`err`) when seq % 10 === 9, WORD `needle` when seq % 1000 === 0 (else `filler`).
import { closeSync, openSync, writeSync } from 'node:fs';

/** Bytes of each generated line, newline included. */
export const GEN_LINE = 100;
const PER_BLOCK = Math.floor((1 << 20) / GEN_LINE);

export interface GenerateOptions {
  /** the file to write (replaced) */
  file: string;
  /** lines to write */
  lines: number;
  /** the number of the first line */
  firstSeq?: number;
  /** the time of line 0 (not of firstSeq), ms since the epoch */
  t0: number;
  /** ms between two lines (fractions allowed: 0.25 puts four lines in each ms) */
  msPerLine: number;
}

/** The time of line `seq` of a generated log. */
export function genTime(o: { t0: number; msPerLine: number }, seq: number): number {
  return o.t0 + Math.floor(seq * o.msPerLine);
}

/** The line `seq` of a generated log, as in the file (without the newline). */
export function genLine(o: { t0: number; msPerLine: number }, seq: number): string {
  const tag = seq % 10 === 9 ? 'err' : 'out';
  const word = seq % 1000 === 0 ? 'needle' : 'filler';
  const head = `${new Date(genTime(o, seq)).toISOString()} ${tag} seq=${String(seq).padStart(10, '0')} ${word} `;
  return head + 'x'.repeat(GEN_LINE - 1 - head.length);
}

/** Why: tests and bench/ need big logs quickly. Writes `lines` lines; returns the next seq. */
export function generateLog(o: GenerateOptions): number {
  const block = Buffer.alloc(PER_BLOCK * GEN_LINE);
  // the constant parts, once: every line ends with the filler and a newline
  for (let j = 0; j < PER_BLOCK; j++) block.write(`${genLine(o, 1)}\n`, j * GEN_LINE, 'latin1');
  const fd = openSync(o.file, 'w');
  try {
    let seq = o.firstSeq ?? 0;
    const end = seq + o.lines;
    let second = Number.NaN;
    let head = Buffer.alloc(0); // `2026-11-25T15:35:11.` of the current second
    while (seq < end) {
      const count = Math.min(PER_BLOCK, end - seq);
      for (let j = 0; j < count; j++, seq++) {
        const off = j * GEN_LINE;
        const t = genTime(o, seq);
        const s = Math.floor(t / 1000);
        if (s !== second) {
          second = s;
          head = Buffer.from(new Date(s * 1000).toISOString().slice(0, 20), 'latin1');
        }
        block.set(head, off);
        const ms = t - s * 1000;
        block[off + 20] = 48 + Math.floor(ms / 100);
        block[off + 21] = 48 + (Math.floor(ms / 10) % 10);
        block[off + 22] = 48 + (ms % 10);
        const err = seq % 10 === 9;
        block[off + 25] = err ? 101 : 111; // e / o
        block[off + 26] = err ? 114 : 117; // r / u
        block[off + 27] = err ? 114 : 116; // r / t
        let v = seq;
        for (let k = 0; k < 10; k++) {
          block[off + 42 - k] = 48 + (v % 10);
          v = Math.floor(v / 10);
        }
        block.write(seq % 1000 === 0 ? 'needle' : 'filler', off + 44, 'latin1');
      }
      let done = 0;
      const len = count * GEN_LINE;
      while (done < len) done += writeSync(fd, block, done, len - done);
    }
    return seq;
  } finally {
    closeSync(fd);
  }
}
