// Who may use the control socket: tend's own uid and root (SO_PEERCRED, through the addon). The
// socket file is 0600 in a 0700 folder already; this holds when someone opens them up.
import type { Socket } from 'node:net';
import { getPeerCred } from '../sys/addon.js';

/** Why a connection is refused (another uid), or undefined to serve it. */
export function refusePeer(socket: Socket, me: number = process.getuid?.() ?? 0): string | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (fd === undefined || fd < 0) return undefined;
  const cred = getPeerCred(fd);
  if (cred.uid === me || cred.uid === 0 || cred.uid < 0) return undefined;
  return `uid ${cred.uid} may not control this tend (only uid ${me} and root)`;
}
