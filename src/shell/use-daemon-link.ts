// A hook keeping the shell's live link to the daemon: the connection flag, and a journal
// subscription (made again after each reconnect) passing on state changes as they happen.
import { useEffect, useRef, useState } from 'react';
import type { EventRow, ShellBackend } from './backend.js';
import { isEventRow } from './stream-lines.js';

/** What the shell does with the link's news. */
export interface LinkHandlers {
  /** a service changed state (events older than the subscription are skipped) */
  onStateChange(e: EventRow): void;
  /** the daemon answers again after a loss */
  onReconnect(): void;
}

/** Subscribes to live state changes; returns whether the daemon is connected. */
export function useDaemonLink(backend: ShellBackend, handlers: LinkHandlers): boolean {
  const [connected, setConnected] = useState(backend.connected);
  const latest = useRef(handlers);
  latest.current = handlers;

  useEffect(() => {
    let sub: { done: Promise<void>; close(): void } | null = null;
    let stopped = false;
    let wasConnected = backend.connected;
    const subscribe = () => {
      if (stopped || sub || !backend.connected) return;
      const since = Date.now();
      const onEvent = (e: unknown) => {
        if (isEventRow(e) && e.state && Date.parse(e.time) >= since) latest.current.onStateChange(e);
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
      setConnected(up);
      if (!up) {
        // the subscription died with the connection; a new one is made on reconnect
        sub?.close();
        sub = null;
      }
      if (up && !wasConnected) {
        latest.current.onReconnect();
        subscribe();
      }
      wasConnected = up;
    });
    subscribe();
    return () => {
      stopped = true;
      off();
      sub?.close();
    };
  }, [backend]);

  return connected;
}
