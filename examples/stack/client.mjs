// A minimal client for db.mjs, shared by migrate.mjs, web.mjs and worker.mjs.
import { connect } from 'node:net';

/** Opens a connection to the db; `ask(line)` resolves with the answer line. */
export function openDb(port = Number(process.env.DB_PORT ?? 47301)) {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port });
    const waiting = [];
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', (chunk) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        waiting.shift()?.resolve(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
    sock.on('error', (err) => {
      for (const w of waiting.splice(0)) w.reject(err);
      reject(err);
    });
    sock.on('close', () => {
      for (const w of waiting.splice(0)) w.reject(new Error('db closed the connection'));
    });
    sock.on('connect', () =>
      resolve({
        ask(line) {
          return new Promise((res, rej) => {
            waiting.push({ resolve: res, reject: rej });
            sock.write(line + '\n');
          });
        },
        close() {
          sock.end();
        },
        onClose(fn) {
          sock.on('close', fn);
        },
      }),
    );
  });
}
