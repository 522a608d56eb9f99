// Who is on the other end of a control connection (SO_PEERCRED): `tend approve` and `tend reject`
// journal it ("approved by uid 1000 (pid 4242)").
import type * as net from 'node:net';
import type { PeerCred } from '../control/server.js';
import { getPeerCred } from '../sys/addon.js';

/** Why: the control server hands each request its peer; undefined when the kernel cannot say. */
export function peerOf(socket: net.Socket): PeerCred | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (fd === undefined || fd < 0) return undefined;
  const cred = getPeerCred(fd);
  return cred.uid < 0 ? undefined : { uid: cred.uid, pid: cred.pid };
}
