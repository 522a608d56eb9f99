// How a command string is started: a simple one is exec'd directly (the service's pid is the
// program), anything else runs under /bin/sh -c as before, and so does a script without #!.
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useProjects, waitFor } from './harness.js';
import { marker } from './procs.js';

const { project } = useProjects();

describe('command strings', () => {
  it('execs a simple command directly; a script without #! and a missing program go through the shell', async () => {
    const m = marker();
    const p = project(
      `services:
  plain:
    command: sleep ${m}
  script:
    command: ./noshebang ${m}
    restart: never
  missing:
    command: nosuch-program-${m} x
    restart: never
`,
      { noshebang: 'echo "ran $1" > out.txt\nexec sleep 1000\n' },
    );
    chmodSync(join(p.dir, 'noshebang'), 0o755);
    await p.up();
    await p.waitState('plain', 'running');
    const plain = (await p.status()).find((s) => s.name === 'plain')!;
    expect(readFileSync(`/proc/${plain.pid}/cmdline`, 'utf8')).toBe(`sleep\0${m}\0`); // no shell in between
    await waitFor(() => existsSync(join(p.dir, 'out.txt')), 'the script to run', 20_000);
    expect(readFileSync(join(p.dir, 'out.txt'), 'utf8')).toBe(`ran ${m}\n`);
    await p.waitState('missing', 'failed', 20_000);
    const ev = await p.events();
    expect(ev.some((e) => e.service === 'missing' && e.what === 'exit' && /127/.test(e.why))).toBe(true);
  });
});
