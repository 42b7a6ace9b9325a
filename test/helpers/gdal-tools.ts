/**
 * The GDAL utilities as the oracle of tests that ask it hundreds of times: `gdalinfo`, `gdalwarp`,
 * `gdalbuildvrt`, `gdal_translate` with the same argument lists, run as the libgdal functions those
 * tools are thin mains around, in one child process (gdal-tools-child.cjs: gdal-async over the
 * system libgdal, unconfigured by geodvc) instead of one process per call (~0.1 s of CPU each,
 * mostly dynamic linking). Answers: what the tool would print (gdalinfo's text or JSON), or '' once
 * the output is written and closed; a call the tool would fail rejects with GDAL's message.
 * Calls may overlap (they run on libuv's thread pool in the child). `close()` when done.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

type Tool = 'gdalinfo' | 'gdalwarp' | 'gdalbuildvrt' | 'gdal_translate';
type Msg = { ready: string } | { id: number; out: string } | { id: number; error: string };

export class GdalTools {
  private child: ChildProcess;
  private next = 1;
  private pending = new Map<number, { resolve: (s: string) => void; reject: (e: Error) => void; what: string }>();
  private exited: Promise<void>;
  private readyP: Promise<string>;

  constructor() {
    const child = spawn(process.execPath, [fileURLToPath(new URL('./gdal-tools-child.cjs', import.meta.url))], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: { ...process.env, GDAL_PAM_ENABLED: 'NO' },
    });
    this.child = child;
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { if (stderr.length < 8192) stderr += d; });
    let onReady!: (v: string) => void;
    this.readyP = new Promise((r) => { onReady = r; });
    child.on('message', (m: Msg) => {
      if ('ready' in m) { onReady(m.ready); return; }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if ('error' in m) p.reject(new Error(`${p.what}: ${m.error}`));
      else p.resolve(m.out);
    });
    this.exited = new Promise((resolve) => child.on('exit', (code, sig) => {
      const err = new Error(`the GDAL tools process ended (${sig ?? `exit ${code}`}): ${stderr.slice(-2000)}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      resolve();
    }));
  }

  /** The GDAL version of the child (the system libgdal's). */
  version(): Promise<string> { return this.readyP; }

  /** `tool args...`: its output text (gdalinfo), or '' once the output dataset is written. */
  run(tool: Tool, args: string[]): Promise<string> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, what: `${tool} ${args.join(' ')}` });
      this.child.send({ id, tool, args });
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.disconnect();
    await this.exited;
  }
}
