/**
 * Worker-thread entry of the own reader's parallel path: cuts this worker's share of the windows
 * (`opts.part`) with the serial code and sends back its records; progress as it goes.
 */
import { parentPort } from 'node:worker_threads';
import { workerInput } from '../../../lib/worker.js';
import { chipOwn } from './own.js';
import type { ChipOptions } from './types.js';

const { opts } = workerInput<{ opts: ChipOptions }>();
chipOwn({ ...opts, onProgress: (e) => { if (e.phase === 'chipping' && e.done !== undefined) parentPort!.postMessage({ type: 'progress', done: e.done }); } })
  .then((result) => parentPort!.postMessage({ type: 'done', result }))
  .catch((err: { message?: string; code?: string; hint?: string; exitCode?: number }) => parentPort!.postMessage({ type: 'error', error: { message: err?.message ?? String(err), code: err?.code, hint: err?.hint, exitCode: err?.exitCode } }));
