// The bounds a config must stay within: past them tend refuses the file with a clear error rather
// than a daemon that runs out of memory, spins, or fails only at spawn. The numbers and why:

/**
 * The config file, in bytes. 2,000 services at a generous 500 bytes each is 1 MB; yaml needs ~3 s
 * and ~200 MB to read 1 MiB (a 4 MiB file: 30 s and 550 MB), so the size is checked before parsing.
 */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Services in one file: 4x the largest config benchmarked (500), each a cgroup, a log, a watcher. */
export const MAX_SERVICES = 2_000;

/** Instances in all (replicas summed): each is a process, a log file and two pipes in the daemon. */
export const MAX_INSTANCES = 5_000;

/** Variables of one service (env and env_file together); the kernel's limit on them all is ~2 MiB. */
export const MAX_ENV_ENTRIES = 1_000;

/**
 * One argument or one NAME=value of a process, in bytes: the kernel refuses a longer one at exec
 * (MAX_ARG_STRLEN is 32 pages, 131,072 bytes with the ending NUL) and the service would fail to spawn.
 */
export const MAX_ARG_BYTES = 128 * 1024 - 1;

/**
 * The longest duration a timer waits: 24 days. Node's timers take at most 2^31-1 ms (24.8 days)
 * and fire at once past it, so a longer probe interval would run the probe in a loop.
 */
export const MAX_TIMER_MS = 24 * 24 * 3_600_000;

/** Bytes as a reader says them: `1 MiB`, `10.0 MiB`, `512 KiB`. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${Number.isInteger(n / 1024 / 1024) ? n / 1024 / 1024 : (n / 1024 / 1024).toFixed(1)} MiB`;
  if (n >= 1024) return `${Number.isInteger(n / 1024) ? n / 1024 : (n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}
