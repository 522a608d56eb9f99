// Two bundles, built after tsc:
// - dist/shell-bundle.js: the Ink shell (dist/shell/main.js with Ink and React) in one file: Node
//   then reads one module instead of hundreds, and `tend shell` reaches its prompt about 3x sooner.
// - dist/config-parser.cjs: the config loader (dist/config/load.js with yaml and zod) as one
//   CommonJS file that the daemon runs for a parse and then lets go (see src/config/on-demand.ts).
//   It takes node built-ins and tend's error classes from the daemon (require('tend:errors')), so
//   a ConfigError it throws is the daemon's own class.
import { build } from 'esbuild';
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
  external: ['node-pty'],
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
