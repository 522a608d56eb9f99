// A hook delivering parsed keys to a component. It listens to Ink's raw input events (not
// useInput) so Backspace and Delete stay distinct; the handler may change every render.
import { useStdin } from 'ink';
import { useEffect, useRef } from 'react';
import { parseKeys, type Key } from './key-parser.js';

/** Calls `onKeys` with the keys of each chunk of terminal input while `active`. */
export function useKeys(onKeys: (keys: Key[]) => void, active = true): void {
  const { internal_eventEmitter: emitter, setRawMode, isRawModeSupported } = useStdin();
  const handler = useRef(onKeys);
  handler.current = onKeys;
  useEffect(() => {
    if (!active) return;
    if (isRawModeSupported) setRawMode(true);
    const listener = (data: string | Buffer) => handler.current(parseKeys(String(data)));
    emitter.on('input', listener);
    return () => {
      emitter.off('input', listener);
      if (isRawModeSupported) setRawMode(false);
    };
  }, [active, emitter, setRawMode, isRawModeSupported]);
}
