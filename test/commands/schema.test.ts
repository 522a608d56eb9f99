// The argument checks the daemon's connection runs before a handler: every socket command's schema.
import { describe, expect, it } from 'vitest';
import { SOCKET_COMMANDS } from '../../src/commands/index.js';
import { COMMAND_TABLE } from '../../src/daemon/commands.js';
import { rejection, useServer } from '../control/fixture.js';

const schema = (name: string) => SOCKET_COMMANDS.find((c) => c.name === name)!.schema;

describe('request schemas', () => {
  it('accept what the CLI sends', () => {
    expect(schema('status').safeParse({}).success).toBe(true);
    expect(schema('status').safeParse({ names: ['a'] }).success).toBe(true);
    expect(schema('start').safeParse({ names: ['a'], timeout: 5000, wait: true }).success).toBe(true);
    expect(schema('start').safeParse({ names: ['a'], timeout: null }).success).toBe(true);
    expect(schema('signal').safeParse({ names: ['a'], signal: 15 }).success).toBe(true);
    expect(schema('logs').safeParse({ names: ['a'], lines: 0, follow: true }).success).toBe(true);
    expect(schema('shutdown').safeParse({}).success).toBe(true);
  });
  it('name each wrong field', () => {
    const r = schema('logs').safeParse({ names: 'web', lines: -1, follow: 'yes' });
    expect(r.success).toBe(false);
    if (r.success) return;
    expect(r.error.issues).toEqual([
      { path: ['names'], message: 'expected a list of service names' },
      { path: ['lines'], message: 'expected a non-negative number; got -1' },
      { path: ['follow'], message: 'expected true or false; got "yes"' },
    ]);
    expect(schema('start').safeParse({}).success).toBe(false);
    expect(schema('signal').safeParse({ names: ['a'], signal: {} }).success).toBe(false);
  });
});

describe("at the daemon's edge", () => {
  const fx = useServer();
  it("the connection checks each request with its command's schema before any handler runs", async () => {
    let called = 0;
    await fx.serve({ commands: COMMAND_TABLE, handle: async () => ((called += 1), { ok: true }) });
    const c = await fx.client();
    const bad = await rejection(c.request('logs', { names: 'web' } as never));
    expect([bad.code, bad.message]).toEqual(['bad_request', 'logs: bad request: args.names: expected a list of service names']);
    const unknown = await rejection(c.request('frobnicate' as never));
    expect(unknown.code).toBe('unknown_command');
    expect(unknown.message).toMatch(
      /^unknown command "frobnicate" \(known: approve, cancel, disable, enable, events, history, logs, ping, reject, reload, restart, run, shutdown, signal, start, status, stop, wait, why\)$/,
    );
    expect(called).toBe(0);
    expect(await c.request('status', {})).toEqual({ ok: true });
    expect(called).toBe(1);
  });
});
