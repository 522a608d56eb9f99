// A fake ShellBackend for component tests: answers status from a row list, records every request
// and stream, and lets a test push stream events and flip the connection.
import type { StatusRow } from '../../src/control/wire.js';
import type { ShellBackend } from '../../src/shell/backend.js';

export interface FakeStream {
  cmd: string;
  args: Record<string, unknown>;
  emit(e: unknown): void;
  end(err?: Error): void;
  closed: boolean;
}

export interface FakeBackend extends ShellBackend {
  rows: StatusRow[];
  requests: Array<[string, Record<string, unknown>]>;
  streams: FakeStream[];
  setConnected(up: boolean): void;
  /** answers for commands other than status */
  answer: (cmd: string, args: Record<string, unknown>) => Promise<unknown>;
}

export function row(name: string, state = 'running', over: Partial<StatusRow> = {}): StatusRow {
  return {
    name,
    service: name,
    replica: null,
    state,
    pid: state === 'running' ? 1000 + name.length : null,
    restarts: 0,
    exit_code: null,
    exit: null,
    since: new Date(Date.now() - 65_000).toISOString(),
    uptime_ms: null,
    cpu: 1.5,
    memory: 20 * 1024 * 1024,
    detail: '',
    want: 'up',
    log_error: null,
    ...over,
  };
}

export function fakeBackend(rows: StatusRow[] = [row('db'), row('web.1'), row('web.2')]): FakeBackend {
  const listeners = new Set<(up: boolean) => void>();
  const b: FakeBackend = {
    rows,
    requests: [],
    streams: [],
    connected: true,
    answer: async () => ({}),
    async request(cmd, args) {
      b.requests.push([cmd, args]);
      if (!b.connected) throw new Error('no daemon answers');
      if (cmd === 'status') return { services: b.rows };
      return b.answer(cmd, args);
    },
    stream(cmd, args, onEvent) {
      let finish!: (err?: Error) => void;
      const done = new Promise<void>((resolve, reject) => (finish = (err) => (err ? reject(err) : resolve())));
      const s: FakeStream = {
        cmd,
        args,
        closed: false,
        emit: (e) => !s.closed && onEvent(e),
        end: (err) => finish(err),
      };
      b.streams.push(s);
      return { done, close: () => ((s.closed = true), finish()) };
    },
    onStatus(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    setConnected(up) {
      b.connected = up;
      for (const cb of listeners) cb(up);
    },
  };
  return b;
}
