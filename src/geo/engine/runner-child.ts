/**
 * Entry of the native GDAL runner child (`runner.ts` starts it with an IPC channel through
 * `childModuleArgs`): loads gdal-async once (configured by `loadNativeGdal`), then runs the tasks
 * its parent sends (`{id, task: NativeTask}`), several at a time (gdal-async's *Async calls run on
 * libuv's thread pool). Answers: `{id, progress}` while a task runs, then `{id, ok, result}` or
 * `{id, error}`; `{ready, version}` once gdal-async is loaded. It SIGKILLs itself, GDAL work in
 * flight included, when its parent goes away (IPC disconnect).
 */
import * as fs from 'node:fs';
import { loadNativeGdal, nativeLoadError } from './native.js';
import { rasterFacts, suggestGrid } from './info.js';
import { chipTask } from '../ops/chip/native-task.js';
import { verifyTask } from '../export/verify-task.js';
import type { NativeTask, RunnerMessage, RunnerRequest } from './runner.js';

// this child (not the CLI) ends itself, GDAL work in flight included, when its parent is gone
const die = () => process.kill(process.pid, 'SIGKILL');
process.on('disconnect', die);
const send = (m: RunnerMessage) => { try { process.send!(m); } catch { die(); } };

const gdal = loadNativeGdal();
if (!gdal) throw new Error(`cannot load gdal-async: ${nativeLoadError()}`);
let vsiCounter = 0;

type Progress = (fraction: number) => void;
type Utility = (this: unknown, output: string, input: unknown, args: string[], opts: { progress_cb: Progress }) => Promise<{ close?: () => void } | undefined>;

async function runTask(t: NativeTask, progress: Progress): Promise<unknown> {
  const opts = { progress_cb: progress };
  if (t.op === 'facts') return rasterFacts(gdal, t.input);
  if (t.op === 'chip') return chipTask(gdal, fs, t.spec, progress);
  if (t.op === 'verify') return verifyTask(gdal, t.spec, progress);
  if (t.op === 'suggest') return suggestGrid(gdal, t.input, t.crs, `/vsimem/geodvc-suggest-${process.pid}-${vsiCounter++}.vrt`);
  let src: { close: () => void }[] = [];
  try {
    let out: { close?: () => void } | undefined;
    if (t.op === 'warp') {
      src = t.inputs.map((p) => gdal.open(p));
      out = await gdal.warpAsync(t.output, null, src, t.args, opts);
    } else if (t.op === 'buildVRT') {
      out = await gdal.buildVRTAsync(t.output, t.inputs, t.args, opts);
    } else {
      src = [gdal.open(t.input)];
      const fn: Utility | undefined = ({ translate: gdal.translateAsync, rasterize: gdal.rasterizeAsync, vectorTranslate: gdal.vectorTranslateAsync } as Record<string, Utility | undefined>)[t.op];
      if (!fn) throw new Error(`unknown op ${(t as { op: string }).op}`);
      out = await fn.call(gdal, t.output, src[0], t.args, opts);
    }
    if (out && typeof out.close === 'function') out.close();
    return undefined;
  } finally {
    for (const s of src) { try { s.close(); } catch { /* already closed */ } }
  }
}

process.on('message', (m: RunnerRequest) => {
  let last = -1;
  const progress: Progress = (c) => { if (c - last >= 0.02 || c >= 1) { last = c; send({ id: m.id, progress: c }); } };
  Promise.resolve().then(() => runTask(m.task, progress)).then(
    (result) => send({ id: m.id, ok: true, result }),
    (e: unknown) => send({ id: m.id, error: String((e as Error | undefined)?.message || e) }),
  );
});
send({ ready: true, version: gdal.version });
