// `top`: a live table of services refreshed each second, with keys to start, stop or restart the
// selected row. Layout and cell text come from top-table.ts; this only renders and polls.
import { Box, Text } from 'ink';
import { useEffect, useRef, useState } from 'react';
import type { StatusRow } from '../control/wire.js';
import type { ShellBackend } from './backend.js';
import { stateColor } from './stream-lines.js';
import { cellText, clip, fit, fitNames, layoutColumns } from './top-table.js';
import { useKeys } from './use-keys.js';

/** Inputs of the top view. */
export interface TopProps {
  backend: ShellBackend;
  /** q, Escape or Ctrl-C */
  onExit: () => void;
  width: number;
  /** rows available; the table scrolls to keep the selection visible */
  height: number;
  intervalMs?: number;
  now?: () => number;
}

const ACTIONS = { s: 'start', S: 'stop', r: 'restart' } as const;
const VERBING = { start: 'starting', stop: 'stopping', restart: 'restarting' } as const;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** `3 services`, or `2 services, 4 instances` when a replica set makes them differ (a row is an instance). */
function counted(list: readonly StatusRow[]): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const services = new Set(list.map((r) => r.service)).size;
  return services === list.length
    ? plural(services, 'service')
    : `${plural(services, 'service')}, ${plural(list.length, 'instance')}`;
}

/** The full-screen table. */
export function Top({ backend, onExit, width, height, intervalMs = 1000, now = Date.now }: TopProps) {
  const [rows, setRows] = useState<StatusRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  // when the table was last read, and since when reading it fails: while the daemon does not
  // answer the last table stays, dimmed and said to be old (it showed `running` and old pids as live)
  const [tableAt, setTableAt] = useState<number | null>(null);
  const [failingSince, setFailingSince] = useState<number | null>(null);
  const [, setTicks] = useState(0);
  const [selected, setSelected] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const live = useRef(true);
  const clock = useRef(now);
  clock.current = now;
  const refresh = useRef<() => void>(() => {});

  useEffect(() => {
    live.current = true;
    let timer: NodeJS.Timeout | undefined;
    const tick = async () => {
      try {
        const next = (await backend.request('status', {})).services;
        if (!live.current) return;
        setRows(next);
        setError(null);
        setTableAt(clock.current());
        setFailingSince(null);
      } catch (err) {
        if (!live.current) return;
        setError(errorText(err));
        setFailingSince((since) => since ?? clock.current());
        setTicks((n) => n + 1); // the clock goes on while the table stays
      }
    };
    const loop = () => {
      void tick().finally(() => {
        if (live.current) timer = setTimeout(loop, intervalMs);
      });
    };
    refresh.current = () => void tick();
    loop();
    return () => {
      live.current = false;
      clearTimeout(timer);
    };
  }, [backend, intervalMs]);

  const list = rows ?? [];
  // none chosen (at first, or the chosen one gone: a reload removed it): no row is shown chosen
  // and the action keys do nothing, so that a key never acts on a row the user did not choose
  const index = selected === null ? -1 : list.findIndex((r) => r.name === selected);
  const current = index < 0 ? undefined : list[index];
  const gone = selected !== null && rows !== null && index < 0;
  useEffect(() => {
    if (gone) setMessage(`${selected} is gone (a reload removed it): arrows select a row`);
  }, [gone, selected]);
  // keys of one chunk act on each other's result, so the selection is also kept synchronously
  const rowsRef = useRef(list);
  rowsRef.current = list;
  const selectedRef = useRef(selected);
  const visible = Math.max(1, height - 5);

  const act = (cmd: 'start' | 'stop' | 'restart', name: string) => {
    setMessage(`${VERBING[cmd]} ${name}…`);
    backend
      .request(cmd, { names: [name], wait: true })
      .then(
        () => live.current && setMessage(`${cmd} ${name}: done`),
        (err) => live.current && setMessage(`${cmd} ${name} failed: ${errorText(err)}`),
      )
      .finally(() => refresh.current());
  };

  useKeys((keys) => {
    // from none chosen, a move starts before the first row: the first arrow down (or up) chooses it
    const move = (by: number | 'first' | 'last') => {
      const all = rowsRef.current;
      if (all.length === 0) return;
      const at = selectedRef.current === null ? -1 : all.findIndex((r) => r.name === selectedRef.current);
      const to = by === 'first' ? 0 : by === 'last' ? all.length - 1 : at + by;
      const next = all[Math.max(0, Math.min(all.length - 1, to))]!.name;
      selectedRef.current = next;
      setSelected(next);
    };
    const chosen = () => rowsRef.current.find((r) => r.name === selectedRef.current);
    for (const key of keys) {
      if (key.kind === 'key') {
        if (key.name === 'escape' || key.name === 'ctrl-c') return onExit();
        if (key.name === 'up') move(-1);
        if (key.name === 'down') move(1);
        if (key.name === 'pageup') move(-visible);
        if (key.name === 'pagedown') move(visible);
        if (key.name === 'home') move('first');
        if (key.name === 'end') move('last');
        continue;
      }
      for (const ch of key.text) {
        if (ch === 'q') return onExit();
        if (ch === 'k') move(-1);
        if (ch === 'j') move(1);
        const cmd = ACTIONS[ch as keyof typeof ACTIONS];
        if (!cmd) continue;
        const row = chosen();
        if (row) act(cmd, row.name);
        else setMessage(`choose a service first (↑/↓); then ${ch} ${cmd}s it`);
      }
    }
  });

  const { columns, gap } = layoutColumns(list, width);
  const space = ' '.repeat(gap);
  const first = Math.max(0, Math.min(index - Math.floor(visible / 2), list.length - visible));
  const shown = list.slice(first, first + visible);
  // the names of all rows, not only those shown: a row's name stays the same as the list scrolls
  const nameWidth = columns.find((c) => c.key === 'name')!.width;
  const names = new Map(
    fitNames(
      list.map((r) => r.name),
      nameWidth,
    ).map((n, k) => [list[k]!.name, n]),
  );
  const title = `tend top · ${rows ? counted(list) : 'loading…'} · ${hms(now())}`;
  // the last table while reading a new one fails: dimmed, without state colours, its times as they were
  const stale = rows !== null && failingSince !== null;
  const at = stale && tableAt !== null ? tableAt : now();
  let problem: string | null = null;
  if (stale) {
    problem = backend.connected
      ? `status failing since ${hms(failingSince)} (${error}); showing the last table`
      : `daemon unreachable since ${hms(failingSince)}; showing the last table`;
  } else if (error) problem = `status failed: ${error}`;
  // more rows than lines: which ones are shown
  const position = list.length > visible ? `rows ${first + 1}-${first + shown.length} of ${list.length} · ` : '';

  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold wrap="truncate">
        {clip(title, width)}
      </Text>
      <Text bold dimColor wrap="truncate">
        {columns.map((c, i) => (i ? space : '') + fit(c.title, c.width, c.align)).join('')}
      </Text>
      {shown.map((row) => (
        <Text key={row.name} inverse={row.name === current?.name} dimColor={stale} wrap="truncate">
          {columns.map((c, i) => (
            <Text key={c.key} color={c.key === 'state' && !stale ? stateColor(row.state) : undefined}>
              {(i ? space : '') + fit(c.key === 'name' ? names.get(row.name)! : cellText(row, c.key, at), c.width, c.align)}
            </Text>
          ))}
        </Text>
      ))}
      {rows && list.length === 0 ? <Text dimColor>no services</Text> : null}
      <Box flexGrow={1} />
      {problem ? (
        <Text color={stale ? 'yellow' : 'red'} wrap="truncate">
          {clip(problem, width)}
        </Text>
      ) : null}
      {message ? <Text wrap="truncate">{clip(message, width)}</Text> : null}
      <Text dimColor wrap="truncate">
        {clip(`${position}↑↓ PgUp PgDn select · s start · S stop · r restart · q quit`, width)}
      </Text>
    </Box>
  );
}

/** A time of day as HH:MM:SS. */
function hms(ms: number): string {
  const t = new Date(ms);
  return [t.getHours(), t.getMinutes(), t.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}
