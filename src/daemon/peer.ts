// Who is on the other end of a control connection (SO_PEERCRED, through the addon): only tend's
// own uid and root may use the socket (the file is 0600 in a 0700 folder already; this holds when
// someone opens them up), and `tend approve`/`tend reject` journal who asked.
import type { Socket } from 'node:net';
import type { PeerCred } from '../control/server.js';
import { getPeerCred } from '../sys/addon.js';

function fdOf(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  return fd === undefined || fd < 0 ? undefined : fd;
}

/** Why a connection is refused (another uid), or undefined to serve it. */
export function refusePeer(socket: Socket, me: number = process.getuid?.() ?? 0): string | undefined {
  const fd = fdOf(socket);
  if (fd === undefined) return undefined;
  const cred = getPeerCred(fd);
  if (cred.uid === me || cred.uid === 0 || cred.uid < 0) return undefined;
  return `uid ${cred.uid} may not control this tend (only uid ${me} and root)`;
}

/** Why: the control server hands each request its peer; undefined when the kernel cannot say. */
export function peerOf(socket: Socket): PeerCred | undefined {
  const fd = fdOf(socket);
  if (fd === undefined) return undefined;
  const cred = getPeerCred(fd);
  return cred.uid < 0 ? undefined : { uid: cred.uid, pid: cred.pid };
}
