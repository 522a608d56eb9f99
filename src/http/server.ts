// The read-only HTTP endpoints of `settings.http` (README "Running many copies under a
// scheduler"; docs/http.md): /healthz, /readyz, /metrics, /status. Served by the daemon itself on
// node:http; loaded only when settings.http is set. GET and HEAD only; nothing here changes state.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { METRICS_CONTENT_TYPE } from './metrics.js';

/** What the endpoints answer with; the daemon fills it in (src/daemon/http.ts). */
export interface HttpHandlers {
  /** /readyz: ok, or the body naming what is not ready and why */
  ready(): { ok: boolean; body: unknown };
  /** /metrics: the exposition text */
  metrics(): Promise<string>;
  /** /status: what `tend status --json` prints */
  status(): Promise<unknown>;
}

/** A listening server. */
export interface HttpServer {
  /** "127.0.0.1:9100" as bound (the port the kernel chose for port 0) */
  readonly address: string;
  close(): Promise<void>;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const PATHS = ['/healthz', '/readyz', '/metrics', '/status'];

function send(res: ServerResponse, req: IncomingMessage, code: number, type: string, body: string): void {
  res.writeHead(code, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
}

const json = (v: unknown): string => `${JSON.stringify(v)}\n`;

/** Routes one request. Errors of a handler are a 500 with the message, never a crash. */
async function route(h: HttpHandlers, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // the absolute form (`GET http://host/healthz`, RFC 9112 3.2.2: a server must take it) is its path
  const path = (req.url ?? '/').replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?]*/i, '').split('?')[0] || '/';
  if (!PATHS.includes(path!)) {
    return send(res, req, 404, JSON_TYPE, json({ error: `no such endpoint ${path}; these are served: ${PATHS.join(', ')}` }));
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return send(
      res,
      req,
      405,
      JSON_TYPE,
      json({ error: `${req.method} is not allowed: the endpoints are read-only (GET, HEAD)` }),
    );
  }
  switch (path) {
    case '/healthz':
      // answered at all means the daemon's event loop turns
      return send(res, req, 200, 'text/plain; charset=utf-8', 'ok\n');
    case '/readyz': {
      const r = h.ready();
      return send(res, req, r.ok ? 200 : 503, JSON_TYPE, json(r.body));
    }
    case '/metrics':
      return send(res, req, 200, METRICS_CONTENT_TYPE, await h.metrics());
    default:
      return send(res, req, 200, JSON_TYPE, json(await h.status()));
  }
}

/** Listens on host:port; rejects with why it cannot (the address in use, a bad host). */
export function listenHttp(
  at: { host: string; port: number },
  h: HttpHandlers,
  onError: (m: string) => void,
): Promise<HttpServer> {
  const server = createServer((req, res) => {
    route(h, req, res).catch((e: unknown) => {
      onError(`http ${req.url}: ${(e as Error).message}`);
      if (!res.headersSent) send(res, req, 500, JSON_TYPE, json({ error: (e as Error).message }));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      reject(new Error(`cannot serve settings.http on ${at.host}:${at.port}: ${e.code ?? e.message}`));
    });
    server.listen(at.port, at.host, () => {
      server.removeAllListeners('error');
      server.on('error', (e) => onError(`http: ${e.message}`));
      const a = server.address();
      const bound =
        typeof a === 'object' && a ? `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : `${at.host}:${at.port}`;
      resolve({
        address: bound,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
