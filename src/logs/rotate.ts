// Shifting NAME.log -> NAME.log.1 -> ... -> NAME.log.KEEP (the oldest is replaced, so deleted).
import { lstat, rename, unlink } from 'node:fs/promises';

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT';
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
}

/** The path of the `i`th old file of a log (0: the live file). */
export function rotatedName(file: string, i: number): string {
  return i === 0 ? file : `${file}.${i}`;
}

/**
 * Renames the live file to .1, shifting older ones up, keeping at most `keep` old files.
 * keep 0: the live file is deleted. The caller has closed the live file and reopens it after.
 */
export async function rotateFiles(file: string, keep: number): Promise<void> {
  if (keep <= 0) {
    await unlink(file).catch((err: unknown) => {
      if (!isMissing(err)) throw err;
    });
    return;
  }
  // shift only up to the first gap: .1 .. .k exist; .k+1 is free (or .keep, the oldest, goes)
  let k = 0;
  while (k < keep - 1 && (await exists(rotatedName(file, k + 1)))) k++;
  for (let i = k; i >= 1; i--) {
    await rename(rotatedName(file, i), rotatedName(file, i + 1)).catch((err: unknown) => {
      if (!isMissing(err)) throw err;
    });
  }
  // a live file removed by hand has nothing to rotate
  await rename(file, rotatedName(file, 1)).catch((err: unknown) => {
    if (!isMissing(err)) throw err;
  });
}
