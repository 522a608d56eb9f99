// A stand-in for a database: a tiny in-memory key-value store over TCP, one command a line
// (PING, GET key, SET key value, INCR key). Like a real database it takes a while to come up:
// it listens only after DB_START_DELAY_MS, which is what the tcp readiness probe waits for.
import { createServer } from 'node:net';

const port = Number(process.env.DB_PORT ?? 47301);
const delay = Number(process.env.DB_START_DELAY_MS ?? 1500);
const data = new Map();

function answer(line) {
  const [cmd = '', key = '', ...rest] = line.trim().split(/\s+/);
  switch (cmd.toUpperCase()) {
    case 'PING':
      return 'PONG';
    case 'GET':
      return data.has(key) ? data.get(key) : 'NIL';
    case 'SET':
      data.set(key, rest.join(' '));
      return 'OK';
    case 'INCR': {
      const n = Number(data.get(key) ?? 0) + 1;
      data.set(key, String(n));
      return String(n);
    }
    default:
      return `ERR unknown command ${JSON.stringify(cmd)}`;
  }
}

const server = createServer((sock) => {
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('data', (chunk) => {
    buf += chunk;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim() !== '') sock.write(answer(line) + '\n');
    }
  });
  sock.on('error', () => {});
});

console.log(`db: warming up for ${delay}ms`);
setTimeout(() => {
  server.listen(port, '127.0.0.1', () => console.log(`db: listening on 127.0.0.1:${port}`));
}, delay);

process.on('SIGTERM', () => {
  console.log('db: SIGTERM, closing');
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 500).unref(); // clients may keep connections open
});
