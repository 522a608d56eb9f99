// Test helpers for the log tests: a tmp dir, a real child piped into a ServiceLog, a deadline wait.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceLog } from '../../src/logs/sink.js';

export async function tmp(): Promise<{ dir: string; done: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'tend-log-'));
  return { dir, done: () => rm(dir, { recursive: true, force: true }) };
}

/** Runs `node -e script` with its stdout/stderr into log (pausing on back-pressure); resolves its exit code. */
export function runInto(
  log: ServiceLog,
  script: string,
  onWrite?: (ok: boolean) => void,
): { pid: number; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  for (const [name, stream] of [
    ['stdout', child.stdout],
    ['stderr', child.stderr],
  ] as const) {
    stream.on('data', (chunk: Buffer) => {
      const ok = log.write(name, chunk);
      onWrite?.(ok);
      if (!ok) {
        stream.pause();
        log.onDrain(() => stream.resume());
      }
    });
  }
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      log.end();
      resolve(code);
    });
  });
  return { pid: child.pid!, exited };
}

/** Waits until cond() is true, polling, or throws after ms with what was awaited. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A log file's lines (without the final empty piece). */
export async function fileLines(file: string): Promise<Buffer[]> {
  const buf = await readFile(file);
  const lines: Buffer[] = [];
  let s = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) {
    lines.push(buf.subarray(s, i));
    s = i + 1;
  }
  if (s < buf.length) lines.push(buf.subarray(s));
  return lines;
}

/** NAME.log and its rotated files, oldest first. */
export async function logFiles(dir: string, name: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => n === name || n.startsWith(`${name}.`));
  const age = (n: string) => (n === name ? 0 : Number(n.slice(name.length + 1)));
  return names.sort((a, b) => age(b) - age(a)).map((n) => join(dir, n));
}

/** The payload of a file line: after `2026-...Z out `. */
export function payload(line: Buffer): Buffer {
  return line.subarray(29);
}

export const PREFIX = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (out|err) $/;
