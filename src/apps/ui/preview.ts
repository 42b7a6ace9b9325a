/**
 * Bounded raster previews for `geodvc ui`: every decode of a (possibly hostile) raster runs in a
 * child process (preview-child.ts) with a V8 heap cap, a time limit and a memory budget checked
 * from the header before any pixel is decoded, so a decompression bomb costs the server one
 * refused request instead of gigabytes and a frozen event loop. Children stay up between previews
 * (geotiff.js loads once) and are replaced after a timeout or a crash; at most `concurrency` run at
 * once, up to `queue` more requests wait, later ones get `preview-busy` (503).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { AppError, InvalidFileError } from '../../lib/errors.js';
import { TiffFile } from '../../geo/raster/tiff.js';
import { checkDecodeBudget } from '../../geo/raster/budget.js';
import { encodePng } from './png.js';
import { childModuleArgs } from '../../lib/worker.js';

export interface PreviewLimits {
  /** Bytes of decoded samples one preview may need (default 256 MiB). */
  budgetBytes?: number;
  /** V8 heap of the child, MiB (default 128). */
  heapMiB?: number;
  /** Wall-clock limit per preview, ms (default 20 s). */
  timeoutMs?: number;
  /** Children at once (default 2) and requests allowed to wait for one (default 8). */
  concurrency?: number;
  queue?: number;
}

export const PREVIEW_DEFAULTS = { budgetBytes: 256 * 1024 * 1024, heapMiB: 128, timeoutMs: 20_000, concurrency: 2, queue: 8 } as const;

export interface PreviewResult { png: Buffer; width: number; height: number; fromOverview: boolean }

interface Job { path: string; maxSize: number; label: string; resolve(r: PreviewResult): void; reject(e: AppError): void }

/** One long-lived child rendering one job at a time; killed (and replaced) when a job overruns. */
class PreviewChild {
  private proc: ChildProcess;
  private buf: Buffer = Buffer.alloc(0);
  private head: { width?: number; height?: number; fromOverview?: boolean; bytes?: number; refused?: string; failed?: string } | undefined;
  private stderr = '';
  private timer: NodeJS.Timeout | undefined;
  private idle: NodeJS.Timeout | undefined;
  job: Job | undefined;
  dead = false;
  constructor(private o: Required<PreviewLimits>, private onFree: (c: PreviewChild) => void) {
    this.proc = spawn(process.execPath, [`--max-old-space-size=${o.heapMiB}`, ...childModuleArgs(import.meta.url, 'preview-child')], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout!.on('data', (c: Buffer) => this.onData(c));
    this.proc.stderr!.setEncoding('utf8').on('data', (d: string) => { if (this.stderr.length < 4000) this.stderr += d; });
    this.proc.stdin!.on('error', () => {});
    this.proc.on('error', (err) => this.die(new AppError('preview-failed', `cannot start the preview process: ${err.message}`, 1, { hint: 'check that node can be run from this process', cause: err })));
    this.proc.on('close', (code, sig) => {
      const oom = /heap out of memory|Allocation failed|JavaScript heap/i.test(this.stderr);
      const label = this.job?.label ?? '';
      this.die(oom
        ? new AppError('preview-too-large', `no preview of ${label}: decoding needed more than the ${this.o.heapMiB} MiB allowed`, 1, { hint: 'add overviews (gdaladdo) or check the file with `geodvc geo check`' })
        : new AppError('preview-failed', `the preview process for ${label} died (${sig ? `signal ${sig}` : `exit ${code}`})${this.stderr ? `: ${this.stderr.trim().split('\n').slice(-1)[0]!.slice(0, 300)}` : ''}`, 1, { hint: 'check the file with `geodvc geo check`' }));
    });
  }

  start(job: Job): void {
    if (this.idle) { clearTimeout(this.idle); this.idle = undefined; }
    this.job = job;
    this.head = undefined;
    this.stderr = '';
    this.timer = setTimeout(() => {
      const j = this.job;
      this.job = undefined;
      j?.reject(new AppError('preview-timeout', `preview of ${j.label} took longer than ${this.o.timeoutMs < 1000 ? `${this.o.timeoutMs} ms` : `${Math.round(this.o.timeoutMs / 1000)} s`} and was stopped`, 1, { hint: 'add overviews (gdaladdo) or use a smaller file; `geodvc geo check` looks for damaged tiles' }));
      this.kill();
    }, this.o.timeoutMs);
    this.proc.stdin!.write(JSON.stringify({ path: job.path, maxSize: job.maxSize, budget: this.o.budgetBytes }) + '\n');
  }

  kill(): void { if (!this.dead) { this.dead = true; this.proc.kill('SIGKILL'); } }

  private die(err: AppError): void {
    this.dead = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.idle) clearTimeout(this.idle);
    const j = this.job;
    this.job = undefined;
    j?.reject(err);
    this.onFree(this);
  }

  private onData(c: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, c]) : c;
    for (;;) {
      if (!this.head) {
        const nl = this.buf.indexOf(10);
        if (nl < 0) { if (this.buf.length > 65536) this.kill(); return; }
        try { this.head = JSON.parse(this.buf.subarray(0, nl).toString('utf8')); } catch { this.kill(); return; }
        this.buf = this.buf.subarray(nl + 1);
      }
      const h = this.head!;
      const need = h.bytes ?? 0;
      if (need > 1024 * 1024 * 4 + 16 || this.buf.length < need) { if (need > 1024 * 1024 * 4 + 16) this.kill(); return; }
      const rgba = Buffer.from(this.buf.subarray(0, need));
      this.buf = this.buf.subarray(need);
      this.head = undefined;
      this.finishJob(h, rgba);
    }
  }

  private finishJob(h: NonNullable<PreviewChild['head']>, rgba: Buffer): void {
    if (this.timer) clearTimeout(this.timer);
    const j = this.job;
    this.job = undefined;
    if (j) {
      if (h.refused) j.reject(new AppError('preview-too-large', `no preview of ${j.label}: ${h.refused}`, 1, { hint: 'previews decode a bounded amount of pixels; add overviews (gdaladdo) or view the file with a desktop tool' }));
      else if (h.failed || h.width === undefined || h.height === undefined) j.reject(new AppError('preview-failed', `cannot render a preview of ${j.label}: ${h.failed ?? 'no image returned'}`, 1, { hint: 'the file may be damaged or use a compression geotiff.js cannot decode; `geodvc geo check` tells more' }));
      else {
        try { j.resolve({ png: encodePng(h.width, h.height, 4, rgba), width: h.width, height: h.height, fromOverview: !!h.fromOverview }); } catch (err) {
          j.reject(new AppError('preview-failed', `the preview process for ${j.label} returned a malformed image: ${(err as Error).message}`, 255, { hint: 'report this as a bug' }));
        }
      }
    }
    // an idle child is stopped after a while (its memory is returned)
    this.idle = setTimeout(() => this.kill(), 60_000);
    this.idle.unref();
    this.onFree(this);
  }
}

/**
 * Renders previews through capped children, one instance per server: up to `concurrency` warm
 * children (geotiff.js loaded once), up to `queue` waiting requests, `preview-busy` beyond.
 */
export class PreviewRenderer {
  private children: PreviewChild[] = [];
  private waiting: Job[] = [];
  private closed = false;
  private readonly o: Required<PreviewLimits>;
  constructor(limits: PreviewLimits = {}) {
    this.o = { ...PREVIEW_DEFAULTS, ...Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) } as Required<PreviewLimits>;
  }

  /**
   * The shared header check of src/geo/raster/budget.ts, before a child is involved: a tile or
   * strip over half the budget, or block tables shorter than the declared grid, are refused from
   * the TIFF header alone (a few positional reads). Files our TIFF parser does not take are left
   * to the child (geotiff.js), which checks its own way.
   */
  private precheck(absPath: string, label: string): AppError | undefined {
    let t: TiffFile | undefined;
    try {
      t = TiffFile.open(absPath);
      checkDecodeBudget({ tiff: t, file: label }, { budgetBytes: Math.floor(this.o.budgetBytes / 2) });
      return undefined;
    } catch (e) {
      if (!(e instanceof InvalidFileError)) return undefined;
      const overBudget = /over the decode budget/.test(e.message);
      return new AppError(overBudget ? 'preview-too-large' : 'preview-failed', `no preview of ${e.message}`, 1, { hint: overBudget ? 'previews decode a bounded amount of pixels; retile the file or add overviews (gdaladdo), or view it with a desktop tool' : e.hint ?? 'check the file with `geodvc geo check`' });
    } finally { t?.close(); }
  }

  /** A PNG of `absPath` at most `maxSize` pixels on its longer side (`label` names the file in errors). */
  render(absPath: string, maxSize: number, label: string): Promise<PreviewResult> {
    return new Promise<PreviewResult>((resolve, reject) => {
      if (this.closed) { reject(new AppError('preview-failed', 'the server is stopping', 1, { hint: 'restart geodvc ui' })); return; }
      const refused = this.precheck(absPath, label);
      if (refused) { reject(refused); return; }
      const job: Job = { path: absPath, maxSize, label, resolve, reject };
      const busy = this.children.filter((c) => c.job).length;
      if (busy >= this.o.concurrency && this.waiting.length >= this.o.queue) {
        reject(new AppError('preview-busy', `too many previews in progress (${busy} running, ${this.waiting.length} waiting)`, 1, { hint: 'retry in a moment' }));
        return;
      }
      this.waiting.push(job);
      this.pump();
    });
  }

  private pump(): void {
    this.children = this.children.filter((c) => !c.dead);
    while (this.waiting.length) {
      let child = this.children.find((c) => !c.job && !c.dead);
      if (!child) {
        if (this.children.length >= this.o.concurrency) return;
        child = new PreviewChild(this.o, () => this.pump());
        this.children.push(child);
      }
      child.start(this.waiting.shift()!);
    }
  }

  /** Stops every child (pending jobs fail). */
  close(): void {
    this.closed = true;
    for (const j of this.waiting.splice(0)) j.reject(new AppError('preview-failed', 'the server is stopping', 1, { hint: 'restart geodvc ui' }));
    for (const c of this.children) c.kill();
  }
}
