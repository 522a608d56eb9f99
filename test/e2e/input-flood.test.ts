// A flood of large request lines with the built binary (issue 13): the memory it took is given
// back once the flood is over (the daemon collects its garbage after much input and 1 s of quiet,
// daemon/memory.ts), not left until some later collection. RSS is read from /proc (VmRSS) and
// held to a generous bound, waited for; no duration is asserted. The flood must first have raised
// the peak by more than that bound, or the test would prove nothing.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ownGcs, useProjects, waitFor } from './harness.js';
import { rssMb, useSockets } from './sockets.js';

/** Resets the process's peak RSS (VmHWM) to its RSS now (clear_refs 5); false where that is refused. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** The process's peak RSS since the reset, in MB. */
function peakMb(pid: number): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

const { project } = useProjects();
const sockets = useSockets();

describe('a flood of 1 MiB request lines', () => {
  it('each is answered, and the memory it took is given back once it is over', async () => {
    const p = project('settings:\n  echo: false\nservices:\n  nap:\n    command: sleep 1000\n');
    await p.up([], {}, ['--trace-gc']);
    await p.waitState('nap', 'running');
    const pid = p.daemon!.pid!;
    // the daemon settled: start-up's garbage collected (the collection after the parse, then the
    // one once start-up settled)
    await waitFor(() => ownGcs(p.out) >= 2, "start-up's garbage collections");
    const before = rssMb(pid);

    let replies = 0;
    const socket = await sockets.connect(p.socket, () => replies++);
    // lines just under the limit, each a request the daemon parses and refuses (an unknown command)
    const N = 64; // 64 MiB: four times what makes the daemon collect once the input goes quiet
    for (let i = 0; i < N; i++) {
      const line = `{"id":${i},"cmd":"nope","args":{"pad":"${String.fromCharCode(97 + (i % 26)).repeat(1024 * 1024 - 100)}"}}\n`;
      if (!socket.write(line)) await new Promise((r) => socket.once('drain', r));
    }
    // its peak, so that "given back" below is not true of a flood that never took anything:
    // the kernel's own high-water mark (reset first) where tend may write clear_refs, else samples
    const hwm = resetPeak(pid);
    let sampled = before;
    await waitFor(
      () => {
        sampled = Math.max(sampled, rssMb(pid));
        return replies === N;
      },
      'an answer to every line',
      120_000,
    );
    const after = rssMb(pid);
    const peak = Math.max(sampled, after, hwm ? peakMb(pid) : 0);
    console.log(
      `daemon RSS: ${before.toFixed(0)} MB before the flood of ${N} MiB, ${peak.toFixed(0)} MB at its peak (${hwm ? 'VmHWM' : 'sampled'}), ${after.toFixed(0)} MB at its end`,
    );
    expect(peak).toBeGreaterThan(before + 10);
    // the connection stays open (nothing closes it): the flood is over, and its garbage goes
    await waitFor(() => rssMb(pid) < before + 10, `the daemon's RSS back within 10 MB of ${before.toFixed(0)} MB`, 30_000);
    console.log(`daemon RSS once quiet: ${rssMb(pid).toFixed(0)} MB`);
    expect((await p.run(['status'])).code).toBe(0);
  }, 300_000);
});
