// The bundles, built after tsc:
// - dist/shell-bundle.js: the Ink shell (dist/shell/main.js with Ink and React) in one file: Node
//   then reads one module instead of hundreds, and `tend shell` reaches its prompt about 3x sooner.
// - dist/config-parser.cjs: the config loader (dist/config/load.js with yaml and zod) as one
//   CommonJS file that the daemon runs for a parse and then lets go (see src/config/on-demand.ts).
//   It takes node built-ins and tend's error classes from the daemon (require('tend:errors')), so
//   a ConfigError it throws is the daemon's own class.
// - dist/tend.cjs, the `tend` command, and dist/lazy/, what it imports when a command needs it
//   (both below).
import { build } from 'esbuild';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
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
 * loader, the shell's entry (which loads dist/shell-bundle.js) and the rest that a command imports
 * only when it needs them are in dist/lazy/ (below). The client is bundled, so that the errors it
 * throws are the classes the bundled code checks.
 */
const dist = join(root, 'dist');
const INLINE = new Set(['./control/client.js']);
/** dist/cli.js's dynamic imports, as paths relative to dist/ (./daemon.js), or node:... */
const lazyImports = new Set();
const lazyModules = {
  name: 'tend-lazy-modules',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (a) => {
      if (a.kind !== 'dynamic-import') return undefined;
      const path = a.path.startsWith('.') ? `./${relative(dist, resolve(a.resolveDir, a.path))}` : a.path;
      if (INLINE.has(path)) return undefined;
      if (!path.startsWith('./')) return { path, external: true }; // node's own
      lazyImports.add(path);
      return { path: `./lazy/${path.slice(2)}`, external: true };
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

/**
 * dist/lazy/: what tend.cjs imports when it needs it (the daemon, the config loader for `tend
 * check`, the readers of log files for `tend logs` without a daemon, the shell's entry, ...),
 * bundled with code splitting: one file for each of those entries and shared chunks, so a module
 * is in one place (one class for each error, one state for each module) and what an entry imports
 * only when needed (chokidar, croner, re2js, yaml, zod; the HTTP endpoint) still loads only then.
 * Node reads a few dozen files instead of the ~160 ES modules of the daemon alone: `tend up`
 * imported the daemon in 175-225 ms of CPU as dist/'s modules, 95-115 as this bundle. A module's
 * `import.meta.url` stays the URL of its file in dist/ (dist/sys/addon.js finds ../../native/ from
 * there): each output file gets dist/'s URL from its own place, and each module's
 * `import.meta.url` is made from it.
 */
const DIST_URL = '__tendDistUrl';
const keepMetaUrl = {
  name: 'tend-keep-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, (a) => {
      if (!a.path.startsWith(dist + sep)) return undefined;
      const text = readFileSync(a.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const url = `new URL(${JSON.stringify(relative(dist, a.path).split(sep).join('/'))}, ${DIST_URL}).href`;
      return { contents: text.replaceAll('import.meta.url', url), loader: 'js', resolveDir: dirname(a.path) };
    });
  },
};
/**
 * The packages bundled into dist/lazy/ too: yaml and zod, in the chunks of the config loader that
 * `tend check` and `tend init` import (as node_modules/ they were a few hundred files: `tend check`
 * took 370 ms of CPU, 262 so, means of 5). The daemon never loads those chunks (its parser is
 * dist/config-parser.cjs). The other packages stay where npm put them.
 */
const INLINE_PACKAGES = new Set(['yaml', 'zod']);
const inlinePackages = {
  name: 'tend-inline-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (a) => {
      const name = a.path.startsWith('@') ? a.path.split('/').slice(0, 2).join('/') : a.path.split('/')[0];
      return INLINE_PACKAGES.has(name) ? undefined : { path: a.path, external: true };
    });
  },
};
const REQUIRE = "import { createRequire as __tendRequire } from 'node:module'; const require = __tendRequire(import.meta.url);\n";
const lazyDir = join(dist, 'lazy');
rmSync(lazyDir, { recursive: true, force: true });
const lazy = await build({
  absWorkingDir: root,
  entryPoints: [...lazyImports].map((p) => join(dist, p)),
  outdir: lazyDir,
  outbase: dist,
  entryNames: '[dir]/[name]',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  plugins: [inlinePackages, keepMetaUrl],
  write: false,
  logLevel: 'warning',
});
for (const f of lazy.outputFiles) {
  const up = relative(dirname(f.path), dist).split(sep).join('/');
  mkdirSync(dirname(f.path), { recursive: true });
  const head = `const ${DIST_URL} = new URL(${JSON.stringify(`${up}/`)}, import.meta.url).href;\n`;
  // yaml is CommonJS: its require('process') and the like go to a require of this file's own
  const req = f.text.includes('__require') ? REQUIRE : '';
  writeFileSync(f.path, `${req}${head}${f.text}`);
}
