// The web app: an HTTP server that reads from the db. GET /healthz is its readiness endpoint;
// GET / answers with the schema version and the jobs the workers have done so far.
import { createServer } from 'node:http';
import { openDb } from './client.mjs';

const port = Number(process.env.WEB_PORT ?? 47380);
const db = await openDb();
db.onClose(() => {
  console.error('web: lost the db connection');
  process.exit(1); // tend restarts it (restart: on-failure)
});

const server = createServer(async (req, res) => {
  if (req.url === '/healthz') return res.end('ok\n');
  try {
    const [schema, jobs] = await Promise.all([db.ask('GET schema_version'), db.ask('GET jobs')]);
    res.end(`hello from web: schema version ${schema}, ${jobs === 'NIL' ? 0 : jobs} jobs done\n`);
  } catch (err) {
    res.statusCode = 503;
    res.end(`db unavailable: ${err.message}\n`);
  }
});
server.listen(port, '127.0.0.1', () => console.log(`web: listening on http://127.0.0.1:${port}/`));

process.on('SIGTERM', () => {
  console.log('web: SIGTERM, closing');
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
