/** `pull --bbox`: the targets of the files intersecting the area (selection in core/api/bbox.ts). */
import { relative, resolve } from 'node:path';
import type { CliContext } from '../types.js';

export async function pullBboxTargets(ctx: CliContext, targs: { cwd: string; targets: string[]; remote?: string; jobs?: number }, opts: Record<string, any>): Promise<string[] | undefined> {
  const { selectByBbox } = await import('../../core/api/bbox.js');
  const { parseNumbers } = await import('../../core/api/read-window.js');
  const { findRepoRoot } = await import('../../core/api/repo.js');
  const bbox = parseNumbers(opts.bbox, 4, '--bbox') as [number, number, number, number];
  const sel = await selectByBbox({ cwd: targs.cwd, targets: targs.targets, bbox, crs: opts.crs, remote: targs.remote, jobs: targs.jobs, signal: ctx.signal, onProgress: ctx.onProgress });
  for (const u of sel.unknown) ctx.warn(`not selected, footprint unknown: ${u.path} (${u.reason})`);
  const geo = sel.selected.length;
  ctx.info(`--bbox: ${geo} file(s) selected of ${sel.considered} geodata file(s) (footprints from ${Object.entries(sel.sources).map(([k, v]) => `${k}: ${v}`).join(', ') || '-'})`);
  if (!geo) {
    if (ctx.json) ctx.outJson({ fetched: 0, added: [], selected: [], considered: sel.considered, unknown: sel.unknown });
    else ctx.out(`No tracked file intersects the area (${sel.considered} considered).`);
    return undefined;
  }
  const root = findRepoRoot(targs.cwd)!;
  return sel.selected.map((p) => relative(targs.cwd, resolve(root, p)) || '.');
}
