// Bundles the Ink shell (dist/shell/main.js with Ink and React) into one file: Node then reads
// one module instead of hundreds, and `tend shell` reaches its prompt about 3x sooner.
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
