// A background worker, run as several replicas. tend gives each instance TEND_REPLICA=1..N
// (and TEND_INSTANCE=worker.N), so each can pick its own port, queue or shard.
import { openDb } from './client.mjs';

const replica = process.env.TEND_REPLICA ?? '?';
const every = Number(process.env.WORK_INTERVAL_MS ?? 3000);
const db = await openDb();
db.onClose(() => {
  console.error(`worker ${replica}: lost the db connection`);
  process.exit(1);
});
console.log(`worker replica ${replica} (${process.env.TEND_INSTANCE}) ready, pid ${process.pid}`);

setInterval(async () => {
  const n = await db.ask('INCR jobs').catch(() => '?');
  console.log(`worker ${replica}: did job #${n}`);
}, every);

process.on('SIGTERM', () => process.exit(0));
