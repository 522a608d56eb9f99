// Shifting NAME.log -> NAME.log.1 -> ... -> NAME.log.KEEP (the oldest is replaced, so deleted).
// A rotation that deletes lines leaves NAME.log.dropped behind, so that a reader can tell lines
// rotated away from a log that never had more (`tend logs` says the first, never the second).
import { constants } from 'node:fs';
import { lstat, open, rename, unlink } from 'node:fs/promises';

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
export async function rotateFiles(file: string, keep: number, mode = 0o640): Promise<void> {
  // old files past `keep` (kept by a config that kept more): deleted, as the config now says
  await dropBeyond(file, Math.max(0, keep), mode);
  if (keep <= 0) {
    const gone = await unlink(file).then(
      () => true,
      (err: unknown) => {
        if (!isMissing(err)) throw err;
        return false;
      },
    );
    if (gone) await markDropped(file, mode);
    return;
  }
  // shift only up to the first gap: .1 .. .k exist; .k+1 is free (or .keep, the oldest, goes)
  let k = 0;
  while (k < keep - 1 && (await exists(rotatedName(file, k + 1)))) k++;
  if (k === keep - 1 && (await exists(rotatedName(file, keep)))) await markDropped(file, mode);
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

/** The marker of a log whose rotation deleted lines (see the top of this file). */
export function droppedMarker(file: string): string {
  return `${file}.dropped`;
}

/** Whether a rotation of `file` ever deleted lines. */
export function linesDropped(file: string): Promise<boolean> {
  return exists(droppedMarker(file)).catch(() => false);
}

async function markDropped(file: string, mode: number): Promise<void> {
  try {
    // not followed if a symlink was put there (as the log files, O_NOFOLLOW)
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW;
    await (await open(droppedMarker(file), flags, mode)).close();
  } catch {
    // without it a reader only misses the "rotated away" line; the rotation goes on
  }
}

/** Deletes `file.K+1`, `file.K+2`, ... while they are there (a lower `keep` than before). */
async function dropBeyond(file: string, keep: number, mode: number): Promise<void> {
  let dropped = false;
  for (let i = keep + 1; ; i++) {
    const gone = await unlink(rotatedName(file, i)).then(
      () => true,
      (err: unknown) => {
        if (!isMissing(err)) throw err;
        return false;
      },
    );
    if (!gone) break;
    dropped = true;
  }
  if (dropped) await markDropped(file, mode);
}
