import type { CommandModule } from '../../types.js';
import { UsageError } from '../../../lib/errors.js';

const list = (v: string | undefined) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined);

function fmt(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined) return '-';
  return Math.abs(v) >= 1e5 ? v.toExponential(2) : String(Number(v.toFixed(digits)));
}

function table(rows: string[][]): string {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd()).join('\n');
}

export const command: CommandModule = {
  path: ['geo', 'diff'],
  describe: 'semantic diff of annotation files (GeoJSON, GPKG, Shapefile, FlatGeobuf; COCO JSON, Pascal VOC XML) between revisions: added/removed/changed labels vs. precision-only drift',
  configure(cmd) {
    cmd.argument('[args...]', '[A_REV] [B_REV] [TARGETS...]: revisions (default HEAD and the workspace), then files/directories')
      .option('-t, --tolerance <t>', 'coordinate tolerance: 0.5 or 0.5m (metres), 50cm, 1e-6deg, 2u (CRS units), 0.5px (pixels); default 0.1m for geographic labels, 0.5px for COCO/VOC')
      .option('--geojson <file>', 'write the changed features as GeoJSON (WGS 84) for a map')
      .option('--crs <crs>', 'CRS of files that declare none (e.g. a Shapefile without .prj)')
      .option('--id-field <name>', 'property holding a stable feature id (default: the GeoJSON id)')
      .option('--class-fields <list>', 'comma-separated properties holding the class (default: class,class_name,label,category,...)')
      .option('--ignore-fields <list>', 'comma-separated properties to ignore (e.g. Shape_Area,edited_at)')
      .option('--files', 'compare two files given as arguments instead of revisions')
      .option('--all', 'list precision-only features too')
      .option('--exit-code', 'exit with 1 when there is a semantic change (like git diff --exit-code)');
  },
  async run(ctx, args, opts) {
    const { geoDiff } = await import('../../../core/api/geo-diff.js');
    const pos: string[] = args[0] ?? [];
    if (opts.files && pos.length !== 2) throw new UsageError('--files needs exactly two files', { hint: 'geodvc geo diff --files old.geojson new.gpkg' });
    const r = await geoDiff({
      cwd: ctx.cwd, args: opts.files ? [] : pos, files: opts.files ? [pos[0]!, pos[1]!] : undefined,
      tolerance: opts.tolerance, crs: opts.crs, idField: opts.idField, classFields: list(opts.classFields), ignoreFields: list(opts.ignoreFields),
      geojsonOut: opts.geojson, listPrecisionOnly: !!opts.all, signal: ctx.signal, onProgress: ctx.onProgress,
    });
    const code = opts.exitCode && r.semantic ? 1 : 0;
    if (ctx.json) { ctx.outJson(r); return code; }
    ctx.out(`annotations ${r.old} -> ${r.new} (tolerance ${r.tolerance})`);
    if (!r.files.length) { ctx.out('no annotation files'); return code; }
    const rows = [['file', 'status', 'old', 'new', 'added', 'removed', 'geometry', 'class', 'attrs', 'precision']];
    for (const f of r.files) {
      const c = f.counts;
      const same = f.status === 'byte-identical';
      rows.push([f.path, f.status, same ? '' : String(c.old), same ? '' : String(c.new), String(c.added), String(c.removed), String(c.geometry), String(c.class), String(c.attributes), String(c.precisionOnly)]);
    }
    ctx.out(table(rows));
    for (const f of r.files) {
      if (f.status === 'added' || f.status === 'removed') continue; // whole file: the table says it
      if (f.images && (f.images.added || f.images.removed)) ctx.out(`  ${f.path}: ${f.images.added} image(s) added, ${f.images.removed} removed (of ${f.images.old} -> ${f.images.new})`);
      for (const c of f.features) {
        const base = c.status === 'added' ? c.b : c.status === 'removed' || c.a === c.b ? c.a : `${c.a} (now ${c.b})`;
        const name = c.image !== undefined ? `${c.image} ${base === 'image' ? 'image' : `annotation ${base}`}` : base;
        const bits: string[] = [];
        if (c.changes.includes('geometry')) bits.push(`max vertex shift ${fmt(c.maxVertexShift)} ${f.unit}, area ${fmt(c.areaOld, 1)} -> ${fmt(c.areaNew, 1)}, IoU ${fmt(c.iou)}`);
        if (c.changes.includes('class')) bits.push(`${c.image !== undefined ? 'category' : 'class'} ${JSON.stringify(c.classOld)} -> ${JSON.stringify(c.classNew)}`);
        if (c.changes.includes('attributes')) bits.push(`attributes changed: ${c.attributes!.map((a) => (c.a === 'image' ? `${a.key} ${JSON.stringify(a.old)} -> ${JSON.stringify(a.new)}` : a.key)).join(', ')}`);
        if (c.status === 'precision-only') bits.push(`precision only, max vertex shift ${fmt(c.maxVertexShift)} ${f.unit}`);
        const cls = c.status === 'added' ? c.classNew : c.status === 'removed' ? c.classOld : undefined;
        const box = c.status === 'added' ? c.boxNew : c.status === 'removed' ? c.boxOld : undefined;
        const where = box ? ` at [${box.map((v) => fmt(v, 2)).join(', ')}]` : '';
        ctx.out(`  ${f.path} ${name}: ${c.status}${cls !== undefined ? ` (${c.image !== undefined ? 'category' : 'class'} ${JSON.stringify(cls)}${where})` : ''}${bits.length ? ': ' + bits.join('; ') : ''}`);
      }
      for (const is of f.issues.slice(0, 20)) ctx.warn(`${f.path} (${is.version}) ${is.feature}: ${is.problem}${is.detail ? ` ${is.detail}` : ''}`);
      if (f.issues.length > 20) ctx.warn(`${f.path}: ${f.issues.length - 20} more geometry issue(s) (see --json)`);
    }
    const s = r.summary;
    ctx.out(`${r.semantic ? 'semantic changes' : 'no semantic change'}: ${s.added} added, ${s.removed} removed, ${s.geometry} geometry, ${s.class} class, ${s.attributes} attribute change(s); ${s.precisionOnly} precision-only`);
    if (r.geojson) ctx.out(`changes written to ${r.geojson}`);
    return code;
  },
};
