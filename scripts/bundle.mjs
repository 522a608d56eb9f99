// Two bundles, built after tsc:
// - dist/shell-bundle.js: the Ink shell (dist/shell/main.js with Ink and React) in one file: Node
//   then reads one module instead of hundreds, and `tend shell` reaches its prompt about 3x sooner.
// - dist/config-parser.cjs: the config loader (dist/config/load.js with yaml and zod) as one
//   CommonJS file that the daemon runs for a parse and then lets go (see src/config/on-demand.ts).
//   It takes node built-ins and tend's error classes from the daemon (require('tend:errors')), so
//   a ConfigError it throws is the daemon's own class.
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
await build({
  absWorkingDir: root,
  entryPoints: ['dist/shell/main.js'],
  outfile: 'dist/shell-bundle.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  define: { 'process.env.NODE_ENV': '"production"' },
  // Ink loads react-devtools-core only in development; the bundle gets an empty stand-in
  alias: { 'react-devtools-core': './dist/shell/devtools-stub.js' },
  banner: { js: "import { createRequire as __tendRequire } from 'node:module'; const require = __tendRequire(import.meta.url);" },
  logLevel: 'warning',
});

/** The daemon's own copy of core/errors.js stands in for the bundle's. */
const sharedErrors = {
  name: 'tend-shared-errors',
  setup(b) {
    b.onResolve({ filter: /\/core\/errors\.js$/ }, () => ({ path: 'tend:errors', external: true }));
  },
};

await build({
  absWorkingDir: root,
  entryPoints: ['dist/config/load.js'],
  outfile: 'dist/config-parser.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: true, // ~40% less to read and compile at each load; stack traces still name the file
  keepNames: true,
  plugins: [sharedErrors],
  logLevel: 'warning',
});

/**
 * dist/tend.cjs, the `tend` command: dist/cli.js and what a one-shot command needs (the command
 * table, arguments, the socket client, printing) as one CommonJS file. Node starts a CommonJS
 * entry sooner than an ES module one (`tend status` ~6 ms faster here). The daemon, the config
 * loader and the shell stay ES modules of their own, imported only when needed (their paths
 * rewritten to be relative to dist/, where tend.cjs is); the client is bundled, so that the errors
 * it throws are the classes the bundled code checks.
 */
const dist = join(root, 'dist');
const INLINE = new Set(['./control/client.js']);
const lazyModules = {
  name: 'tend-lazy-modules',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (a) => {
      if (a.kind !== 'dynamic-import') return undefined;
      const path = a.path.startsWith('.') ? `./${relative(dist, resolve(a.resolveDir, a.path))}` : a.path;
      return INLINE.has(path) ? undefined : { path, external: true };
    });
  },
};
await build({
  absWorkingDir: root,
  entryPoints: ['dist/cli.js'],
  outfile: 'dist/tend.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  plugins: [lazyModules],
  // paths next to the file (../package.json, ./shell-bundle.js) resolve as they did from dist/cli.js
  define: { 'import.meta.url': '__tendUrl' },
  banner: { js: "'use strict';\nconst __tendUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});
chmodSync(`${root}/dist/tend.cjs`, 0o755);
