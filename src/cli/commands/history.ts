import type { CommandModule } from '../types.js';

import { formatBytes } from '../ui/reporter.js';

const human = (n: number | undefined): string => (n === undefined ? '-' : formatBytes(n));

type Vec = { files: number; read: number; features: number; geometryTypes: string[]; crs: string[] };
/** The CONTENT cell: rasters (count, e.g. first one's header) and/or vectors (features, geometry types, CRS). */
function contentOf(rasterFiles: number | undefined, raster: string, vector: Vec | undefined): string {
  const parts: string[] = [];
  if (rasterFiles !== undefined && (rasterFiles > 0 || !vector)) parts.push(`${rasterFiles} rasters${raster ? `, e.g. ${raster}` : ''}`);
  else if (raster) parts.push(raster);
  if (vector) {
    const files = vector.files > 1 ? `${vector.files} vector files, ` : '';
    const partial = vector.read < vector.files ? ` in ${vector.read} read` : '';
    parts.push(`${files}${vector.features} features${partial}${vector.geometryTypes.length ? ` ${vector.geometryTypes.join('/')}` : ''}${vector.crs.length ? ` ${vector.crs.join(', ')}` : ''}`);
  }
  return parts.join('; ');
}

export const command: CommandModule = {
  path: ['history'],
  describe: 'list the versions of a tracked path through git history (date, size, files, raster summary)',
  configure(cmd) {
    cmd.argument('<path>', 'tracked file or directory, its .dvc file, or a file inside a tracked directory')
      .option('-n, --max-count <n>', 'show at most n versions', (v) => Number(v))
      .option('--no-raster', 'do not read raster headers');
  },
  async run(ctx, [path], opts) {
    const { openRepo } = await import('../../core/api/repo.js');
    const { history } = await import('../../core/api/history.js');
    const { UsageError } = await import('../../lib/errors.js');
    if (opts.maxCount !== undefined && !(Number.isInteger(opts.maxCount) && opts.maxCount > 0)) throw new UsageError('-n needs a positive integer', { hint: 'e.g. `geodvc history data/chips -n 5`' });
    const repo = await openRepo(ctx.cwd);
    const res = await history(repo, path, { cwd: ctx.cwd, maxCount: opts.maxCount, noRaster: opts.raster === false });
    if (ctx.json) { ctx.outJson(res); return; }
    if (!res.versions.length) { ctx.out(`No versions of '${res.path}' in git history (tracked by ${res.trackedBy}).`); return; }
    const rows = res.versions.map((v) => {
      const r = v.raster;
      const raster = r ? `${r.width}x${r.height}x${r.bands} ${r.dataType ?? ''}${r.epsg ? ` EPSG:${r.epsg}` : ''}${r.compression && r.compression !== 'NONE' ? ` ${r.compression}` : ''}`.replace(/\s+/g, ' ').trim() : '';
      return [
        v.rev === 'workspace' ? 'workspace' : v.rev.slice(0, 8),
        v.date ? v.date.replace('T', ' ').replace(/([+-]\d\d:\d\d|Z)$/, ' $1') : '(uncommitted)',
        human(v.size),
        v.nfiles !== undefined ? String(v.nfiles) : v.isDir ? '?' : '1',
        v.oid.slice(0, 8) + (v.inCache ? '' : '*'),
        contentOf(v.rasterFiles, raster, v.vector),
        v.subject ?? '',
      ];
    });
    const head = ['REV', 'DATE', 'SIZE', 'FILES', 'HASH', 'CONTENT', 'MESSAGE'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
    ctx.out([`${res.path} (tracked by ${res.trackedBy}${res.member ? `, file ${res.member} of the directory` : ''})`, fmt(head), ...rows.map(fmt)].join('\n'), true);
    if (res.versions.some((v) => !v.inCache)) ctx.info('* not in the local cache: after `git checkout REV -- FILE.dvc`, `geodvc pull FILE.dvc` gets it');
  },
};
