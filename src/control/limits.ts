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

/** Bytes of events one stream may queue behind a full socket; past it they are skipped (a `lagged` frame). */
export const STREAM_QUEUE_BYTES = 64 * 1024;

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
