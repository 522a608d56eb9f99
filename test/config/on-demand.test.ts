// The daemon's config parser (config/on-demand.ts): the bundle dist/config-parser.cjs is run for a
// parse and then collected, yaml and zod with it. This file imports neither (no load.ts, no
// helpers.ts): zod's globals would otherwise be set by the test itself.
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { serialize } from 'node:v8';
import {
  ZOD_GLOBALS,
  lastLoad,
  loadSpecOnDemand,
  parseHandoff,
  runBundle,
  takeHandoff,
  withParser,
} from '../../src/config/on-demand.js';
import { ConfigError } from '../../src/core/errors.js';
import { collectGarbage } from '../../src/daemon/memory.js';

const BUNDLE = fileURLToPath(new URL('../../dist/config-parser.cjs', import.meta.url));
const WORKER = fileURLToPath(new URL('../../dist/config/parse-worker.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tend-on-demand-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Collects until `ref` is gone or a few rounds passed (a WeakRef holds its target until the task ends). */
async function collected(ref: WeakRef<object>): Promise<boolean> {
  for (let i = 0; i < 5 && ref.deref() !== undefined; i++) {
    await new Promise((r) => setImmediate(r));
    collectGarbage();
  }
  return ref.deref() === undefined;
}

function write(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

describe('the config parser on demand', () => {
  it('parses with the bundle and lets it go: its code is collected, zod leaves no global behind', async () => {
    const file = write('a.yaml', 'services:\n  web:\n    command: sleep 100\n    restart: on-failure\n');
    let ref!: WeakRef<object>;
    const spec = await withParser((p) => {
      ref = new WeakRef(p.loadSpecWith);
      return p.loadSpecWith(file, p.createParseMemory());
    }, BUNDLE);
    expect(spec.services.map((s) => [s.name, s.restart])).toEqual([['web', 'on-failure']]);
    for (const g of ZOD_GLOBALS) expect(g in globalThis).toBe(false);
    expect(await collected(ref)).toBe(true);
  });

  it('(the check above can fail: a bundle whose zod globals stay is not collected)', async () => {
    const ref = new WeakRef((runBundle(BUNDLE) as { loadSpecWith: object }).loadSpecWith);
    expect(ZOD_GLOBALS.filter((g) => g in globalThis)).toEqual([...ZOD_GLOBALS]);
    expect(await collected(ref)).toBe(false);
    for (const g of ZOD_GLOBALS) delete (globalThis as Record<string, unknown>)[g];
    expect(await collected(ref)).toBe(true);
  });

  it("throws tend's own ConfigError, located, for a bad file", async () => {
    const file = write('bad.yaml', 'services:\n  web:\n    command: sleep 1\n    restart: alway\n');
    const e = await loadSpecOnDemand(file, { bundle: BUNDLE }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).message).toMatch(
      /bad\.yaml:4:14: services\.web\.restart: expected one of always, on-failure, never; got "alway"/,
    );
    const missing = await loadSpecOnDemand(join(dir, 'nope.yaml'), { bundle: BUNDLE }).catch((x: unknown) => x);
    expect((missing as ConfigError).message).toMatch(/nope\.yaml: cannot read config: no such file or directory/);
  });

  it('keeps what makes the next parse incremental across loads, and sees every edit', async () => {
    const body = (cmd: string) =>
      `services:\n${Array.from({ length: 30 }, (_, i) => `  s${i}:\n    command: ${i === 7 ? cmd : 'sleep 1'}\n`).join('')}`;
    const file = write('many.yaml', body('sleep 7'));
    const first = await loadSpecOnDemand(file, { bundle: BUNDLE });
    write('many.yaml', body('sleep 8'));
    const second = await loadSpecOnDemand(file, { bundle: BUNDLE });
    expect(first.services[7]!.command).toBe('sleep 7');
    expect(second.services[7]!.command).toBe('sleep 8');
    expect(second.services.filter((_s, i) => i !== 7)).toEqual(first.services.filter((_s, i) => i !== 7));
  });

  it("hands a parse over (tend up -d to its daemon): the same Spec, and the caches, so the daemon's next parse is incremental", async () => {
    const body = (cmd: string) =>
      `services:\n${Array.from({ length: 20 }, (_, i) => `  s${i}:\n    command: ${i === 3 ? cmd : 'sleep 1'}\n    env: { A: "\${HOME}" }\n`).join('')}`;
    const file = write('handed.yaml', body('sleep 3'));
    const past = new Date(performance.timeOrigin - 60_000);
    utimesSync(file, past, past); // written before this process (the client) began, as a config is
    const spec = await loadSpecOnDemand(file, { bundle: BUNDLE, workerBytes: Infinity });
    const bytes = parseHandoff(file, spec);
    const taken = takeHandoff(bytes, file);
    expect(taken).toStrictEqual(spec);
    expect(lastLoad).toEqual({ in: 'handed', how: undefined });
    write('handed.yaml', body('sleep 4'));
    // edited after the client began (it may have read it before the edit): the daemon parses the file
    expect(takeHandoff(bytes, file)).toBeUndefined();
    expect((await loadSpecOnDemand(file, { bundle: BUNDLE, workerBytes: Infinity })).services[3]!.command).toBe('sleep 4');
    expect(lastLoad).toEqual({ in: 'thread', how: 'incremental' });
    // not a parse of this file, or cut short (a client gone mid-write): undefined, the daemon parses itself
    expect(takeHandoff(bytes, join(dir, 'other.yaml'))).toBeUndefined();
    expect(takeHandoff(bytes.subarray(0, bytes.length >> 1), file)).toBeUndefined();
    expect(takeHandoff(new Uint8Array(0), file)).toBeUndefined();
    expect(takeHandoff(Buffer.from('{"file":"x"}'), file)).toBeUndefined();
    expect(takeHandoff(serialize({ file, spec: { services: 'no' } }), file)).toBeUndefined();
    expect(lastLoad.in).toBe('thread');
  });

  describe('in a worker thread (a file over workerBytes)', () => {
    const inThread = { bundle: BUNDLE, workerBytes: Infinity };
    const inWorker = { bundle: BUNDLE, worker: WORKER, workerBytes: 0 };
    const body = (cmd: string) =>
      `services:\n${Array.from({ length: 40 }, (_, i) => `  s${i}:\n    command: ${i === 9 ? cmd : 'sleep 1'}\n    umask: 022\n    env: { A: "\${HOME}" }\n`).join('')}`;

    it('gives the Spec a parse in this thread gives, and the caches come back: the next parse is incremental, in either thread', async () => {
      const file = write('w.yaml', body('sleep 9'));
      const here = await loadSpecOnDemand(file, inThread);
      expect(lastLoad.in).toBe('thread');
      const there = await loadSpecOnDemand(file, inWorker);
      expect(lastLoad.in).toBe('worker');
      expect(there).toStrictEqual(here);
      write('w.yaml', body('sleep 10'));
      const edited = await loadSpecOnDemand(file, inWorker);
      expect(lastLoad).toEqual({ in: 'worker', how: 'incremental' });
      expect(edited.services[9]!.command).toBe('sleep 10');
      write('w.yaml', body('sleep 11'));
      expect((await loadSpecOnDemand(file, inThread)).services[9]!.command).toBe('sleep 11');
      expect(lastLoad).toEqual({ in: 'thread', how: 'incremental' });
      write('w.yaml', body('sleep 12'));
      const again = await loadSpecOnDemand(file, inWorker);
      expect(lastLoad).toEqual({ in: 'worker', how: 'incremental' });
      expect(again.services[9]!.command).toBe('sleep 12');
      expect(again.services.filter((_, i) => i !== 9)).toStrictEqual(here.services.filter((_, i) => i !== 9));
    });

    it("a problem comes back as tend's ConfigError with file:line:col", async () => {
      const file = write('wbad.yaml', 'services:\n  web:\n    command: sleep 1\n    restart: alway\n');
      const e = await loadSpecOnDemand(file, inWorker).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).problems).toEqual([
        {
          file,
          line: 4,
          col: 14,
          path: 'services.web.restart',
          message: 'expected one of always, on-failure, never; got "alway" (did you mean "always"?)',
        },
      ]);
    });

    it('a worker that ends without an answer is a ConfigError naming the file, not a crash', async () => {
      const file = write('wok.yaml', 'services:\n  web:\n    command: sleep 1\n');
      const dies = write('dies.mjs', 'process.exit(3);\n');
      const e = await loadSpecOnDemand(file, { ...inWorker, worker: dies }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).message).toBe(
        `${file}: cannot parse the config: the parser ended (exit code 3) without an answer`,
      );
      const throws = write('throws.mjs', 'throw new Error("boom");\n');
      const e2 = await loadSpecOnDemand(file, { ...inWorker, worker: throws }).catch((x: unknown) => x);
      expect((e2 as ConfigError).message).toBe(`${file}: cannot parse the config: boom`);
    });
  });
});
