// Size limits of the control socket, shared by the server and the light client.
import { MAX_SOCKET_PATH_BYTES } from '../core/limits.js';

export { MAX_SOCKET_PATH_BYTES };

/** At most 1 MiB a line (README "Control protocol"), not counting the newline. */
export const MAX_LINE_BYTES = 1024 * 1024;

/** A reply whose line would pass MAX_LINE_BYTES goes in `part` frames of about this many bytes. */
export const PART_BYTES = 256 * 1024;

/**
 * Bytes a connection's socket may hold unsent: past it, stream events queue, replies wait, and
 * the connection's requests are not read until the client has read.
 */
export const HIGH_WATER_BYTES = 64 * 1024;

/**
 * Bytes of events one stream may queue behind a full socket; past it they are skipped (a `lagged`
 * frame). Why this much: a `tend logs -f > file` of a burst of 20,000 lines (1.3 MB) on a loaded
 * machine lost 40% of it with 64 KiB; what all streams queue together is bounded below.
 */
export const STREAM_QUEUE_BYTES = 4 * 1024 * 1024;

/**
 * Bytes of events all streams of the daemon may queue together: past it each one skips (51
 * followers that never read cost 51 x 64 KiB before; one that reads gets the room the others
 * leave).
 */
export const TOTAL_STREAM_QUEUE_BYTES = 16 * 1024 * 1024;

/** Requests in flight (streams included) on one connection; more get `busy`. */
export const MAX_INFLIGHT_PER_CONNECTION = 64;

/** Requests in flight on all connections together; more get `busy`. */
export const MAX_INFLIGHT_TOTAL = 1024;

/** Arrays and objects of a request nest at most this deep (tend's own need 3); deeper: `bad_request`. */
export const MAX_REQUEST_DEPTH = 32;

/** Why `path` cannot be a unix socket path, or undefined when it can. */
export function socketPathProblem(path: string): string | undefined {
  if (path === '') return 'the socket path is empty';
  if (path.includes('\0')) return `the socket path contains a NUL byte: ${JSON.stringify(path)}`;
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    return (
      `socket path is ${bytes} bytes, over the ${MAX_SOCKET_PATH_BYTES}-byte limit of unix sockets: ${path} ` +
      `(choose a shorter settings.socket, --socket or $TEND_SOCKET)`
    );
  }
  return undefined;
}
