// The body of the worker thread that parses a large config (config/on-demand.ts starts it): the
// parse of a 1 MiB file takes seconds, and in a worker the daemon's loop answers meanwhile. It
// runs the parser bundle with the caches it was handed and posts back plain data only: the Spec
// and the caches (structured clone), or the problems of a ConfigError (file:line:col kept); then
// it ends, and its heap (yaml's documents, zod) goes with it.
import { parentPort, workerData } from 'node:worker_threads';
import { ConfigError } from '../core/errors.js';
import type { ParseMemory } from './load.js';
import { withParser, type WorkerReply, type WorkerRequest } from './on-demand.js';

const { file, bundle, memory } = workerData as WorkerRequest;
let reply: WorkerReply;
try {
  reply = await withParser((p) => {
    const m: ParseMemory = memory ?? p.createParseMemory();
    const spec = p.loadSpecWith(file, m);
    return { spec, memory: m, how: p.lastParse.how };
  }, bundle);
} catch (e) {
  reply = e instanceof ConfigError ? { problems: e.problems } : { error: (e as Error).message ?? String(e) };
}
parentPort!.postMessage(reply);
