/**
 * GDAL's utilities as the oracle of tests that ask it hundreds of times: `gdalwarp`,
 * `gdalbuildvrt`, `gdal_translate` with the same argument lists, run as the libgdal functions those
 * tools are thin mains around (GDALWarp, GDALBuildVRT, GDALTranslate), by GDAL's own Python bindings
 * in one python3-gdal process (gdal-tools-child.py), instead of one process per call (~0.1 s of CPU
 * each, mostly dynamic linking). Like geo-corpus-vrt's python3-gdal oracle, it shares nothing with
 * geodvc's GDAL engine (gdal-async and its configuration). A call resolves once the output is
 * written and closed, and rejects with GDAL's message where the tool would fail. Calls are answered
 * in order, one at a time. `close()` when done. (gdalinfo stays the command: what a long-lived
 * process prints for a CRS's WKT can depend on the CRSs it resolved before.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

type Tool = 'gdalwarp' | 'gdalbuildvrt' | 'gdal_translate';
type Msg = { ready: string } | { id: number; out: string } | { id: number; error: string };

export class GdalTools {
  private child: ChildProcess;
  private next = 1;
  private pending = new Map<number, { resolve: (s: string) => void; reject: (e: Error) => void; what: string }>();
  private exited: Promise<void>;
  private readyP: Promise<string>;

  constructor() {
    const child = spawn('/usr/bin/python3', [fileURLToPath(new URL('./gdal-tools-child.py', import.meta.url))], {
      stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, GDAL_PAM_ENABLED: 'NO', PYTHONDONTWRITEBYTECODE: '1' },
    });
    this.child = child;
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr = (stderr + d).slice(-8192); });
    let onReady!: (v: string) => void;
    this.readyP = new Promise((r) => { onReady = r; });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = JSON.parse(line) as Msg;
      if ('ready' in m) { onReady(m.ready); return; }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if ('error' in m) p.reject(new Error(`${p.what}: ${m.error}`));
      else p.resolve(m.out);
    });
    this.exited = new Promise((resolve) => child.on('close', (code, sig) => {
      const err = new Error(`the python3-gdal process ended (${sig ?? `exit ${code}`}): ${stderr.slice(-2000)}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      resolve();
    }));
    child.on('error', () => { /* reported through close */ });
  }

  /** The GDAL version of the child (the system libgdal's). */
  version(): Promise<string> { return this.readyP; }

  /** `tool args...`: resolves with '' once the output dataset is written and closed. */
  run(tool: Tool, args: string[]): Promise<string> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, what: `${tool} ${args.join(' ')}` });
      this.child.stdin!.write(`${JSON.stringify({ id, tool, args })}\n`);
    });
  }

  async close(): Promise<void> {
    this.child.stdin!.end();
    await this.exited;
  }
}
