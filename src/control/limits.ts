// Size limits of the control socket, shared by the server and the light client.
import { MAX_SOCKET_PATH_BYTES } from '../core/limits.js';

export { MAX_SOCKET_PATH_BYTES };

/** At most 1 MiB a line (README "Control protocol"), not counting the newline. */
export const MAX_LINE_BYTES = 1024 * 1024;


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
