// A hook giving the terminal's size and following resizes (Ink re-lays out on resize, but a
// component reading stdout.columns once would keep the old width).
import { useStdout } from 'ink';
import { useEffect, useState } from 'react';

/** The terminal's columns and rows (80x24 when stdout is not a terminal), updated on resize. */
export function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  // biome-ignore lint/correctness/useExhaustiveDependencies: read() reads stdout, the one dependency
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}
