import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Top } from '../../src/shell/Top.js';
import { fakeBackend, row } from './fake-backend.js';

const wait = (fn: () => void) => vi.waitFor(fn, { timeout: 5000, interval: 5 });
afterEach(() => cleanup());

function top(width: number, rows = [row('db'), row('web.1', 'backoff', { restarts: 4 }), row('worker', 'failed')]) {
  const backend = fakeBackend(rows);
  const onExit = vi.fn();
  const r = render(<Top backend={backend} width={width} height={12} intervalMs={20} onExit={onExit} />);
  const frame = () => r.lastFrame() ?? '';
  return { ...r, backend, onExit, frame, type: (s: string) => r.stdin.write(s) };
}

describe('Top', () => {
  it('renders a row a service with every column at 100 columns', async () => {
    const t = top(100);
    await wait(() => expect(t.frame()).toContain('tend top · 3 services'));
    expect(t.frame()).toMatch(/NAME +STATE +PID +UPTIME +RESTARTS +CPU% +MEMORY/);
    expect(t.frame()).toMatch(/db +running +1002 +1m0\ds +0 +1\.5 +20M/);
    expect(t.frame()).toMatch(/web\.1 +backoff +- +- +4/);
    expect(t.frame()).toContain('q quit');
  });

  it('fits 60 columns: no line is wider, the state is still shown', async () => {
    const t = top(60, [row('a-service-with-a-very-long-name', 'running'), row('db', 'stopped')]);
    await wait(() => expect(t.frame()).toContain('tend top · 2 services'));
    for (const line of t.frame().split('\n')) expect([...line].length).toBeLessThanOrEqual(60);
    // cut in the middle, keeping the end (it was `a-service…`)
    expect(t.frame()).toMatch(/a-service…-long-name +running/);
    expect(t.frame()).toMatch(/db +stopped/);
  });

  it('keeps replicas with long names apart at 80 columns (both were payments-…)', async () => {
    const names = ['payments-worker-eu-west.1', 'payments-worker-eu-west.2', 'payments-worker-us-east.10'];
    const next_run = new Date(Date.now() + 60_000).toISOString();
    const t = top(
      80,
      names.map((n) => row(n, 'running', { next_run })),
    );
    await wait(() => expect(t.frame()).toContain('tend top · 3 services'));
    for (const line of t.frame().split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
    // a third of 80 columns holds these names whole: PID goes instead
    for (const n of names) expect(t.frame()).toMatch(new RegExp(`${n.replace(/\./g, '\\.')} +running`));
    expect(t.frame()).not.toContain(' PID ');
    // narrower, a third of the width: cut in the middle, each keeps its end
    const narrow = top(
      54,
      names.map((n) => row(n, 'running', { next_run })),
    );
    await wait(() => expect(narrow.frame()).toContain('tend top · 3 services'));
    expect(narrow.frame()).toMatch(/payments…eu-west\.1 +running/);
    expect(narrow.frame()).toMatch(/payments…eu-west\.2 +running/);
    expect(narrow.frame()).toMatch(/payments…s-east\.10 +running/);
  });

  it('counts services, and instances when a replica set makes them differ (it called 3 instances 3 services)', async () => {
    const t = top(100, [row('db'), row('web.1', 'running', { service: 'web' }), row('web.2', 'running', { service: 'web' })]);
    await wait(() => expect(t.frame()).toContain('tend top · 2 services, 3 instances ·'));
  });

  it('refreshes from the daemon', async () => {
    const t = top(100);
    await wait(() => expect(t.frame()).toContain('worker'));
    t.backend.rows = [row('db', 'stopping')];
    await wait(() => expect(t.frame()).toMatch(/db +stopping/));
    expect(t.frame()).toContain('1 service ');
    expect(t.backend.requests.filter(([c]) => c === 'status').length).toBeGreaterThan(1);
  });

  it('opens with no row chosen: s, S and r do nothing but say to choose one; the first arrow chooses the first row', async () => {
    const t = top(100);
    await wait(() => expect(t.frame()).toContain('worker'));
    t.type('S');
    await wait(() => expect(t.frame()).toContain('choose a service first (↑/↓); then S stops it'));
    t.type('r');
    await wait(() => expect(t.frame()).toContain('choose a service first (↑/↓); then r restarts it'));
    // it stopped db, the first row, shown chosen though nobody chose it
    expect(t.backend.requests.filter(([c]) => c !== 'status')).toEqual([]);
    t.type('\x1b[B');
    t.type('S');
    await wait(() => expect(t.backend.requests).toContainEqual(['stop', { names: ['db'], wait: true }]));
  });

  it('arrow keys select a row; s, S and r act on it', async () => {
    const t = top(100);
    await wait(() => expect(t.frame()).toContain('worker'));
    t.type('\x1b[B\x1b[B');
    t.type('r');
    await wait(() => expect(t.backend.requests).toContainEqual(['restart', { names: ['web.1'], wait: true }]));
    await wait(() => expect(t.frame()).toContain('restart web.1: done'));
    t.type('\x1b[B');
    t.type('S');
    await wait(() => expect(t.backend.requests).toContainEqual(['stop', { names: ['worker'], wait: true }]));
    t.type('\x1b[A\x1b[A\x1b[A');
    t.type('s');
    await wait(() => expect(t.backend.requests).toContainEqual(['start', { names: ['db'], wait: true }]));
  });

  it('a selected row that a reload removed is not replaced by the first: keys act on nothing until one is chosen', async () => {
    const t = top(100);
    await wait(() => expect(t.frame()).toContain('worker'));
    t.type('\x1b[B\x1b[B');
    await wait(() => expect(t.frame()).toMatch(/web\.1/));
    t.backend.rows = [row('db'), row('worker', 'failed')];
    await wait(() => expect(t.frame()).toContain('web.1 is gone (a reload removed it): arrows select a row'));
    t.type('r');
    await wait(() => expect(t.frame()).toContain('choose a service first'));
    t.type('\x1b[B');
    t.type('S');
    await wait(() => expect(t.backend.requests).toContainEqual(['stop', { names: ['db'], wait: true }]));
    // the r before a row was chosen again did nothing (it restarted db, the first row)
    expect(t.backend.requests.filter(([c]) => c === 'restart')).toEqual([]);
  });

  it('shows a failed action and a failed refresh', async () => {
    const t = top(100);
    t.backend.answer = async () => {
      throw new Error('unknown service "db"');
    };
    await wait(() => expect(t.frame()).toContain('db'));
    t.type('j');
    t.type('s');
    await wait(() => expect(t.frame()).toContain('start db failed: unknown service "db"'));
    t.backend.request = async () => {
      throw new Error('internal error');
    };
    await wait(() => expect(t.frame()).toContain('status failing since '));
    expect(t.frame()).toContain('(internal error); showing the last table');
  });

  it('says the table is the last one while the daemon is unreachable, and is live again when it is back', async () => {
    const t = top(100);
    await wait(() => expect(t.frame()).toMatch(/db +running/));
    t.backend.connected = false;
    await wait(() => expect(t.frame()).toMatch(/daemon unreachable since \d\d:\d\d:\d\d; showing the last table/));
    expect(t.frame()).toMatch(/db +running/); // the last table stays, said to be old
    t.backend.rows = [row('db', 'stopped')];
    t.backend.connected = true;
    await wait(() => expect(t.frame()).toMatch(/db +stopped/));
    expect(t.frame()).not.toContain('unreachable');
  });

  it('with more rows than lines says which are shown; PgDn, PgUp, End and Home move the selection', async () => {
    const many = Array.from({ length: 30 }, (_, i) => row(`svc${String(i + 1).padStart(2, '0')}`));
    const t = top(100, many); // 12 lines: 7 rows
    await wait(() => expect(t.frame()).toContain('rows 1-7 of 30 ·'));
    t.type('\x1b[6~'); // PgDn from none chosen: the last row of the first page
    t.type('r');
    await wait(() => expect(t.backend.requests).toContainEqual(['restart', { names: ['svc07'], wait: true }]));
    t.type('\x1b[6~');
    await wait(() => expect(t.frame()).toContain('rows 11-17 of 30 ·'));
    t.type('\x1b[F'); // End
    await wait(() => expect(t.frame()).toContain('rows 24-30 of 30 ·'));
    t.type('r');
    await wait(() => expect(t.backend.requests).toContainEqual(['restart', { names: ['svc30'], wait: true }]));
    t.type('\x1b[5~'); // PgUp
    t.type('r');
    await wait(() => expect(t.backend.requests).toContainEqual(['restart', { names: ['svc23'], wait: true }]));
    t.type('\x1b[H'); // Home
    await wait(() => expect(t.frame()).toContain('rows 1-7 of 30 ·'));
    t.type('s');
    await wait(() => expect(t.backend.requests).toContainEqual(['start', { names: ['svc01'], wait: true }]));
  });

  it('q, Escape and Ctrl-C leave', async () => {
    for (const key of ['q', '\x1b', '\x03']) {
      const t = top(80);
      await wait(() => expect(t.frame()).toContain('db'));
      t.type(key);
      await wait(() => expect(t.onExit).toHaveBeenCalled());
      t.unmount();
    }
  });
});
