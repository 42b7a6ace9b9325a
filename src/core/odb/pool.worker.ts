/** A hashing/linking worker thread of `HashPool` (pool.ts): runs the jobs its parent posts. */
import { parentPort } from 'node:worker_threads';
import { workerInput } from '../../lib/worker.js';
import { createPoolHandler, type PoolJobMessage } from './pool-ops.js';

const { id } = workerInput<{ id: number }>();
const port = parentPort!;
const handle = createPoolHandler(id, (m) => port.postMessage(m));
port.on('message', (job: PoolJobMessage) => { void handle(job); });
