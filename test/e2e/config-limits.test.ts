// Configs that once killed or froze the daemon (issue 13), with the built binary: `tend check`
// refuses each with the limit or the problem named at file:line:col, a live reload of each is
// refused the same way while the daemon and its service keep running, and `tend up` exits 2.
import { spawn } from 'node:child_process';
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, useProjects } from './harness.js';

const { project, started } = useProjects();

const GOOD = 'settings:\n  echo: false\n  watch: false\nservices:\n  web:\n    command: sleep 1000\n';

/** Each bad file: its text (or a writer, for the file too large), and the line tend prints for it. */
const BAD: Array<{ what: string; text: string; error: (file: string) => string }> = [
  {
    what: 'replicas: 1000000',
    text: `${GOOD}    replicas: 1000000\n`,
    error: (f) => `${f}:7:15: services.web.replicas: expected an integer <= 5000 (the limit of instances in all); got 1000000`,
  },
  {
    what: 'a probe interval of 720h',
    text: `${GOOD}    liveness: { exec: "true", interval: 720h }\n`,
    error: (f) =>
      `${f}:7:41: services.web.liveness.interval: expected a duration of at most 24 days (576h), the longest a timer waits; got "720h"`,
  },
  {
    what: 'a self-referencing alias',
    text: 'settings:\n  echo: false\n  watch: false\nservices:\n  web:\n    command: &c [sleep, *c]\n',
    error: (f) => `${f}:6:25: services.web.command[1]: alias *c is inside the value it names (a cycle)`,
  },
  {
    what: 'a NUL in env',
    text: `${GOOD}    env: { A: "a\\0b" }\n`,
    error: (f) =>
      `${f}:7:15: services.web.env.A: a NUL character ("\\0") cannot be passed to a process (the value would end at it)`,
  },
  {
    what: '2001 services',
    text: GOOD + Array.from({ length: 2000 }, (_, i) => `  s${i}:\n    command: sleep 1000\n    autostart: false\n`).join(''),
    error: (f) => `${f}:4:1: services: 2001 services, over the limit of 2000`,
  },
  {
    what: 'a file of 10 MiB',
    text: '', // written by truncate below
    error: (f) => `${f}: config is 10 MiB, over the limit of 1 MiB; split it or trim it`,
  },
];

/** Writes a bad file over the project's config. */
function writeBad(dir: string, bad: (typeof BAD)[number]): string {
  const file = join(dir, 'tend.yaml');
  if (bad.what === 'a file of 10 MiB') {
    writeFileSync(file, GOOD);
    truncateSync(file, 10 * 1024 * 1024); // NULs after the services: read, it would be refused anyway
  } else writeFileSync(file, bad.text);
  return file;
}

/** `tend up` run to its end (it must not start). */
function upExit(dir: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [CLI, 'up'], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    c.stderr.on('data', (d) => (stderr += d));
    c.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('configs past the limits, end to end', () => {
  it.each(BAD.map((b) => [b.what, b] as const))(
    '%s: check and a live reload refuse it (the daemon keeps running), up exits 2',
    async (_what, bad) => {
      const p = await started(GOOD);
      await p.waitState('web', 'running');
      const pid = (await p.status())[0]!.pid as number;

      const file = writeBad(p.dir, bad);
      const check = await p.run(['check']);
      expect([check.code, check.stdout, check.stderr]).toEqual([2, '', `${bad.error(file)}\n`]);

      const reload = await p.run(['reload']);
      expect(reload.code).toBe(2);
      expect(reload.stderr).toContain(bad.error(file));
      // the daemon is alive, answers, and kept its running config: the same process, and the error shown
      expect(p.daemon!.exitCode).toBe(null);
      const st = await p.status();
      expect(st.map((s) => [s.name, s.state, s.pid])).toEqual([['web', 'running', pid]]);
      const table = await p.run(['status']);
      expect(table.stderr).toContain(bad.error(file));

      // a good file again is taken
      p.write(`${GOOD}    env: { B: "1" }\n`);
      const again = await p.run(['reload']);
      expect([again.code, again.stdout]).toEqual([0, '~ web (env.B)\n= 0 unchanged\n']);

      // and `tend up` with the bad file (in a folder of its own) exits 2 with the same line
      const q = project(GOOD);
      const qfile = writeBad(q.dir, bad);
      const up = await upExit(q.dir);
      expect(up.code).toBe(2);
      expect(up.stderr).toContain(bad.error(qfile));
    },
    120_000,
  );
});
