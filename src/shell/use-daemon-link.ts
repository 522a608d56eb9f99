// A hook keeping the shell's live link to the daemon: the connection flag, and a journal
// subscription (made again after each reconnect) passing on state changes and reloads as they happen.
import { useEffect, useRef, useState } from 'react';
import type { JournalEvent } from '../control/wire.js';
import type { ShellBackend } from './backend.js';
import { isEventRow, isReload } from './stream-lines.js';

/** What the shell does with the link's news. */
export interface LinkHandlers {
  /** a service changed state (events older than the subscription are skipped) */
  onStateChange(e: JournalEvent): void;
  /** a reload was applied or rejected (the config file changed, SIGHUP, a `tend reload` anywhere) */
  onReload?(e: JournalEvent): void;
  /** the daemon answers after a loss (`again`), or at last after the shell found none at start */
  onReconnect(again: boolean): void;
}

/**
 * Where the link stands: `connecting` until the first attempt settles, `up`, `down` (no daemon
 * answered yet), or `lost` (it answered before; the backend keeps retrying either way).
 */
export type LinkState = 'connecting' | 'up' | 'down' | 'lost';

/** Subscribes to live state changes and reloads; returns the link's state. */
export function useDaemonLink(backend: ShellBackend, handlers: LinkHandlers): LinkState {
  const [link, setLink] = useState<LinkState>(backend.connected ? 'up' : 'connecting');
  const latest = useRef(handlers);
  latest.current = handlers;

  useEffect(() => {
    let sub: { done: Promise<unknown>; close(): void } | null = null;
    let stopped = false;
    let wasConnected = backend.connected;
    let everConnected = backend.connected;
    let sawFailure = false;
    const subscribe = () => {
      if (stopped || sub || !backend.connected) return;
      const since = Date.now();
      const onEvent = (e: JournalEvent | { where: unknown }) => {
        if (!isEventRow(e) || Date.parse(e.time) < since) return;
        if (e.state) latest.current.onStateChange(e);
        else if (isReload(e)) latest.current.onReload?.(e);
      };
      try {
        // lines: 0 asks for no backlog; the time check above guards against one anyway
        const s = backend.stream('events', { follow: true, lines: 0 }, onEvent);
        sub = s;
        s.done.catch(() => {}).finally(() => sub === s && (sub = null));
      } catch {
        sub = null;
      }
    };
    const off = backend.onStatus((up) => {
      setLink(up ? 'up' : everConnected ? 'lost' : 'down');
      if (!up) {
        // the subscription died with the connection; a new one is made on reconnect
        sub?.close();
        sub = null;
      }
      if (up && !wasConnected) {
        // a quiet first connect is no news; one after a loss or a failed first try is
        if (everConnected || sawFailure) latest.current.onReconnect(everConnected);
        subscribe();
      }
      sawFailure ||= !up;
      wasConnected = up;
      everConnected ||= up;
    });
    subscribe();
    return () => {
      stopped = true;
      off();
      sub?.close();
    };
  }, [backend]);

  return link;
}
