import { defineConfig } from 'vitest/config';

/**
 * Test files that run in a fresh process each (isolate: true): everything end to end, and every
 * file that looks at or changes what is the process's own rather than a module's: its RSS or CPU
 * time, globals, umask, signals and their handlers, the environment, timers, or the native addon
 * (subreaper, reaping, fds). Run after another file in the same process, such a test could pass
 * or fail for what the other file left behind.
 */
const ISOLATED = [
  'test/e2e/**',
  'test/spawn/**',
  'test/sys/**',
  'test/cgroup/**',
  'test/commands/cli-help.test.ts',
  'test/config/check-cli.test.ts',
  'test/config/on-demand.test.ts', // zod's globals on globalThis
  'test/config/variables.test.ts', // process.env
  'test/control/socket-file.test.ts', // umask
  'test/daemon/signals.test.ts', // real signals to this process
  'test/daemon/status-usage.test.ts', // this process's CPU time
  'test/daemon/memory.test.ts', // fake timers around the collections of this process
  'test/logs/failure.test.ts', // umask
  'test/logs/direct.test.ts', // the addon's readers, a tmpfs mounted
  'test/logs/sink.test.ts', // the addon; RSS (throughput.ts)
  'test/probes/probe.test.ts', // the launcher's reaper: a SIGCHLD handler of this process
  'test/tasks/schedule.test.ts', // TZ
  'test/tasks/timer.test.ts', // setTimeout spied on, process warnings
];

export default defineConfig({
  test: {
    // deadlines, not figures: a test that runs six `tend` commands took over 30 s at a load
    // average of 17 on 2 cores
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // most files wait on real processes and sockets, not the CPU: 3 at once on 2 cores
    maxWorkers: 3,
    // Ink renders only a final frame under $CI; the component tests look at live frames
    env: { CI: 'false', CONTINUOUS_INTEGRATION: 'false' },
    projects: [
      {
        extends: true,
        test: { name: 'isolated', include: ISOLATED.map((g) => (g.endsWith('**') ? `${g}/*.test.{ts,tsx}` : g)) },
      },
      {
        // the pure tier (modules, fakes, temp files): one process runs file after file. A fresh
        // process and module graph for each of these 70-odd files cost about as much CPU as the
        // files themselves (measured: 134 s of CPU isolated, 74 s not, on 2 cores)
        extends: true,
        test: {
          name: 'shared',
          include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
          exclude: ISOLATED,
          isolate: false,
        },
      },
    ],
  },
});
