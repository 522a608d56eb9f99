import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // deadlines, not figures: a test that runs six `tend` commands took over 30 s at a load
    // average of 17 on 2 cores
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // most files wait on real processes and sockets, not the CPU: 3 at once on 2 cores
    maxWorkers: 3,
    // Ink renders only a final frame under $CI; the component tests look at live frames
    env: { CI: 'false', CONTINUOUS_INTEGRATION: 'false' },
  },
});
