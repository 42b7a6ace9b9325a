/**
 * A COPC chunk decoder thread: the parent (`points.ts`) posts one chunk at a time (file offset,
 * byte size, point count); the thread reads it, decodes it with laz-perf's ChunkDecoder and posts
 * the raw LAS records back (transferred, not copied).
 */
import { closeSync, openSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { workerInput } from '../../lib/worker.js';
import { FileReader } from './header.js';
import { loadLazPerf } from './points.js';

interface Input { file: string; pointFormat: number; recordLength: number }
export interface DecodeJob { seq: number; offset: number; byteSize: number; pointCount: number }
export type DecodeReply = { seq: number; data: ArrayBuffer; count: number } | { seq: number; error: string };

const { file, pointFormat, recordLength } = workerInput<Input>();
const port = parentPort!;
const fd = openSync(file, 'r');
const r = new FileReader(fd);
const L = await loadLazPerf();
const dec = new L.ChunkDecoder();
let inPtr = 0, inCap = 0, outPtr = 0, outCap = 0;

port.on('message', (job: DecodeJob | 'close') => {
  if (job === 'close') { dec.delete(); closeSync(fd); port.close(); return; }
  try {
    if (job.offset + job.byteSize > r.size) throw new Error(`COPC chunk at byte ${job.offset} (${job.byteSize} bytes) runs past the end of the file (${r.size} bytes)`);
    if (job.byteSize > inCap) { if (inPtr) L._free(inPtr); inPtr = L._malloc(job.byteSize); inCap = job.byteSize; }
    const need = job.pointCount * recordLength;
    if (need > outCap) { if (outPtr) L._free(outPtr); outPtr = L._malloc(need); outCap = need; }
    L.HEAPU8.set(r.read(job.offset, job.byteSize), inPtr);
    dec.open(pointFormat, recordLength, inPtr);
    for (let i = 0; i < job.pointCount; i++) dec.getPoint(outPtr + i * recordLength);
    const data = L.HEAPU8.slice(outPtr, outPtr + need).buffer;
    port.postMessage({ seq: job.seq, data, count: job.pointCount } satisfies DecodeReply, [data]);
  } catch (e) {
    port.postMessage({ seq: job.seq, error: (e as Error).message ?? String(e) } satisfies DecodeReply);
  }
});
