// The reloader over a real file and a Supervisor of fakes: what it journals, and that the
// command line's settings (up -d's echo off, --socket) are not taken for changes of the file.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandInstances } from '../../src/config/instances.js';
import { loadSpecOnDemand } from '../../src/config/on-demand.js';
import { createReloader } from '../../src/daemon/reload.js';
import { RunningConfig } from '../../src/daemon/running-config.js';
import { flush, harness } from '../helpers/fakes.js';
import { tmpDir } from '../helpers/tmp.js';

const YAML = 'settings: { watch: false }\nservices:\n  web:\n    command: [sleep, "1000"]\n';

/** A reloader on a tend.yaml of YAML, its daemon started with `overrides` on the command line. */
async function reloading(overrides = {}) {
  const file = join(tmpDir('tend-reload-'), 'tend.yaml');
  writeFileSync(file, YAML);
  const spec = await loadSpecOnDemand(file);
  const h = harness();
  h.sup.add(expandInstances(spec));
  await flush();
  // as tend up starts it: the file's spec with the command line's settings over it
  const config = new RunningConfig({ ...spec, settings: { ...spec.settings, ...overrides } }, overrides);
  const reloader = createReloader({ sup: h.sup, journal: h.journal, config, forget: () => {}, retuneLog: () => {} });
  reloader.start();
  const reloads = () =>
    h.journal
      .last()
      .filter((e) => e.what === 'reload')
      .map((e) => e.why);
  return { file, reloader, reloads, config };
}

describe('reload', () => {
  it('journals what it applied; a file-watch event that changes nothing is not journaled, a tend reload is', async () => {
    const r = await reloading();
    await r.reloader.reload(false, 'file changed');
    expect(r.reloads()).toEqual([]);
    await r.reloader.reload(false, 'tend reload');
    expect(r.reloads()).toHaveLength(1);
    expect(r.reloads()[0]).toMatch(/^on request: the running config already matches tend\.yaml/);
    writeFileSync(r.file, `${YAML}  api:\n    command: [sleep, "1001"]\n`);
    await r.reloader.reload(false, 'file changed');
    expect(r.reloads()[1]).toBe('file changed: + api; = 1 unchanged');
  });

  it("keeps the command line's settings over the file's, and does not report them as changed", async () => {
    const r = await reloading({ echo: false, socket: '/run/elsewhere.sock' });
    const result = await r.reloader.reload(false, 'tend reload');
    expect(result.needs_restart).toEqual([]);
    expect(r.config.spec.settings.echo).toBe(false);
    expect(r.config.spec.settings.socket).toBe('/run/elsewhere.sock');
    // a setting the file itself changes is still told
    writeFileSync(r.file, YAML.replace('watch: false', 'watch: false, log_dir: other'));
    expect((await r.reloader.reload(false, 'tend reload')).needs_restart).toEqual(['log_dir']);
  });

  it('settings that apply at once are said, journaled and applied (max_parallel, pools, shutdown_timeout)', async () => {
    const r = await reloading();
    writeFileSync(r.file, YAML.replace('watch: false', 'watch: false, max_parallel: 3, shutdown_timeout: 5s, pools: { p: 2 }'));
    const dry = await r.reloader.reload(true, 'tend reload');
    expect(dry.text).not.toMatch(/already matches/);
    // a dry run applies nothing, and says so
    expect(dry.text).toContain('~ settings.max_parallel (applies at once)');
    expect(dry.text).not.toContain('(applied)');
    const result = await r.reloader.reload(false, 'file changed');
    expect(result.settings).toEqual(['shutdown_timeout', 'pools', 'max_parallel']);
    expect(result.text.split('\n')).toEqual([
      '= 1 unchanged',
      '~ settings.shutdown_timeout (applied)',
      '~ settings.pools (applied)',
      '~ settings.max_parallel (applied)',
    ]);
    expect(r.reloads()).toEqual([
      'file changed: = 1 unchanged; ~ settings.shutdown_timeout (applied); ~ settings.pools (applied); ~ settings.max_parallel (applied)',
    ]);
    expect(r.config.spec.settings.maxParallel).toBe(3);
  });
});
