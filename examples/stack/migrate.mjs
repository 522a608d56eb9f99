// A migration: a oneshot that brings the db's schema to the wanted version and exits 0.
// tend marks it `completed`; web and worker wait for that (depends_on: migrate: completed).
import { openDb } from './client.mjs';

const version = process.env.SCHEMA_VERSION ?? '3';
try {
  const db = await openDb();
  const before = await db.ask('GET schema_version');
  await db.ask(`SET schema_version ${version}`);
  console.log(`migrate: schema ${before === 'NIL' ? 'created' : `upgraded from ${before}`} at version ${version}`);
  db.close();
} catch (err) {
  console.error(`migrate: cannot migrate: ${err.message}`);
  process.exit(1);
}
