/**
 * Worker-thread entry: one gdal3.js instance per worker, running warp/translate tasks sent by
 * `GdalWorkerPool`. Errors come back as `{ error: {message, code, details} }`.
 */
import { parentPort } from 'node:worker_threads';
import { AppError } from '../../lib/errors.js';
import { runGdalTask, type GdalTask } from './gdal-task.js';

parentPort!.on('message', async (msg: { id: number; task: GdalTask }) => {
  try {
    const result = await runGdalTask(msg.task);
    parentPort!.postMessage({ id: msg.id, result });
  } catch (err) {
    const e = err as AppError;
    parentPort!.postMessage({ id: msg.id, error: { message: e?.message ?? String(err), code: e?.code, hint: e?.hint, details: e?.details } });
  }
});
