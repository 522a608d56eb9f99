// The scheduler examples: examples/kubernetes/ validated against the Kubernetes API schemas that
// the kubernetes-models package ships (no cluster needed), kept in step with the tend config they
// run, and examples/tend.service checked by systemd-analyze.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CLI } from './harness.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'apps/v1 Deployment': Deployment,
  'v1 Service': Service,
};

function manifests(): Array<Record<string, any>> {
  return parseAllDocuments(readFileSync(join(EXAMPLES, 'kubernetes/tend-stack.yaml'), 'utf8')).map((d) => d.toJS());
}

describe('examples/kubernetes', () => {
  it('every document is valid against the schema of its kind', () => {
    const docs = manifests();
    expect(docs.map((d) => `${d.apiVersion} ${d.kind}`)).toEqual(['apps/v1 Deployment', 'v1 Service']);
    for (const d of docs) {
      const Model = MODELS[`${d.apiVersion} ${d.kind}`]!;
      expect(() => new Model(d).validate(), `${d.kind} ${d.metadata.name}`).not.toThrow();
    }
  });

  it('the validation rejects a broken manifest (so the test above can fail)', () => {
    const d = manifests()[0]!;
    d.spec.template.spec.containers[0].ports[0].containerPort = 'nine';
    d.spec.template.spec.terminationGracePeriodSeconds = '30s';
    expect(() => new Deployment(d).validate()).toThrow(
      /containerPort must be integer|terminationGracePeriodSeconds must be integer/,
    );
  });

  it('probes, scrape annotations and grace period match the tend config the container runs', () => {
    const dep = manifests()[0]!;
    const pod = dep.spec.template;
    const c = pod.spec.containers[0];
    const cfgPath = c.args[c.args.indexOf('-c') + 1] as string;
    expect(cfgPath).toBe('/app/examples/kubernetes/tend.yaml'); // where the Dockerfile puts examples/
    const cfg = parse(readFileSync(join(EXAMPLES, 'kubernetes/tend.yaml'), 'utf8'));
    const port = Number(/:(\d+)$/.exec(cfg.settings.http)![1]);
    expect(cfg.settings.http).toBe(`0.0.0.0:${port}`); // the kubelet comes from outside the pod
    const named = c.ports.find((p: any) => p.name === c.livenessProbe.httpGet.port);
    expect(named.containerPort).toBe(port);
    expect([c.livenessProbe.httpGet.path, c.readinessProbe.httpGet.path, c.startupProbe.httpGet.path]).toEqual([
      '/healthz',
      '/readyz',
      '/healthz',
    ]);
    expect(c.readinessProbe.httpGet.port).toBe(named.name);
    expect(pod.metadata.annotations).toEqual({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(port),
      'prometheus.io/path': '/metrics',
    });
    expect(cfg.settings.shutdown_timeout).toBe('25s');
    expect(pod.spec.terminationGracePeriodSeconds).toBe(25 + 5);
    expect(cfg.settings.log_format).toBe('json');
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
    expect(env.TEND_CONFIG).toBe(cfgPath);
    const mount = c.volumeMounts.find((m: any) => cfg.settings.socket.startsWith(`${m.mountPath}/`));
    expect(mount?.name).toBe('run');
  });

  it('its tend config is valid (tend check)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tend-k8s-'));
    try {
      const text = readFileSync(join(EXAMPLES, 'kubernetes/tend.yaml'), 'utf8');
      writeFileSync(join(dir, 'tend.yaml'), text);
      const r = spawnSync(process.execPath, [CLI, 'check', '-c', join(dir, 'tend.yaml')], { encoding: 'utf8' });
      // valid: no error; the only warnings are the container's own folder, absent on this host
      expect(r.status, r.stderr).toBe(0);
      for (const line of r.stderr.split('\n').filter(Boolean))
        expect(line).toMatch(/^warning: .*: cwd \/app\/\S+ does not exist$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const analyze = spawnSync('systemd-analyze', ['--version']).status === 0;
if (!analyze) console.log('skipping the examples/tend.service check: systemd-analyze is not installed');

describe.skipIf(!analyze)('examples/tend.service', () => {
  it('systemd-analyze verify finds nothing to say (ExecStart pointed at the built tend)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tend-unit-'));
    try {
      const unit = readFileSync(join(EXAMPLES, 'tend.service'), 'utf8');
      expect(unit).toMatch(/^Type=notify$/m);
      const file = join(dir, 'tend.service');
      writeFileSync(file, unit.replace('/usr/local/bin/tend', CLI));
      const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
      expect(r.stderr.split('\n').filter((l) => l.includes(file))).toEqual([]);
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
