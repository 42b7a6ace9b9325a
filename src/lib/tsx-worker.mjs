/**
 * Worker entry used only when geodvc runs from its TypeScript sources (tsx, `npm run geodvc`):
 * Node 20 does not apply the parent's tsx loader inside worker threads, so this plain module
 * registers it and then imports the real worker module named in `workerData.entry`.
 * The built package (dist/) starts its `.worker.js` modules directly and never loads this file.
 */
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
