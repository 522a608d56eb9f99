// The daemon's config parser (config/on-demand.ts): the bundle dist/config-parser.cjs is run for a
// parse and then collected, yaml and zod with it. This file imports neither (no load.ts, no
// helpers.ts): zod's globals would otherwise be set by the test itself.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ZOD_GLOBALS, loadSpecOnDemand, runBundle, withParser } from '../../src/config/on-demand.js';
import { ConfigError } from '../../src/core/errors.js';
import { collectGarbage } from '../../src/daemon/memory.js';

const BUNDLE = fileURLToPath(new URL('../../dist/config-parser.cjs', import.meta.url));
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
    const e = await loadSpecOnDemand(file, BUNDLE).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).message).toMatch(/bad\.yaml:4:14: services\.web\.restart: expected one of always, on-failure, never; got "alway"/);
    const missing = await loadSpecOnDemand(join(dir, 'nope.yaml'), BUNDLE).catch((x: unknown) => x);
    expect((missing as ConfigError).message).toMatch(/nope\.yaml: cannot read config: no such file or directory/);
  });

  it('keeps what makes the next parse incremental across loads, and sees every edit', async () => {
    const body = (cmd: string) => `services:\n${Array.from({ length: 30 }, (_, i) => `  s${i}:\n    command: ${i === 7 ? cmd : 'sleep 1'}\n`).join('')}`;
    const file = write('many.yaml', body('sleep 7'));
    const first = await loadSpecOnDemand(file, BUNDLE);
    write('many.yaml', body('sleep 8'));
    const second = await loadSpecOnDemand(file, BUNDLE);
    expect(first.services[7]!.command).toBe('sleep 7');
    expect(second.services[7]!.command).toBe('sleep 8');
    expect(second.services.filter((s, i) => i !== 7)).toEqual(first.services.filter((s, i) => i !== 7));
  });
});
