import type { CommandModule } from '../../types.js';
import { UsageError } from '../../../lib/errors.js';

export const command: CommandModule = {
  path: ['geo', 'export'],
  describe: 'export per-chip object annotations from vector labels as COCO JSON or YOLO txt',
  configure(cmd) {
    cmd.argument('<format>', 'coco|yolo')
      .requiredOption('--index <file>', 'chip index (chips.geojson from geo chip)')
      .requiredOption('--annotations <path>', 'vector labels (file or directory)')
      .requiredOption('--output <path>', 'COCO: a .json file or a directory (annotations.json); YOLO: a directory')
      .option('--class-field <name>', 'attribute holding the class (default: class 1)')
      .option('--class-map <file>', 'JSON {"value": classId}')
      .option('--min-area <px>', 'drop clipped objects smaller than this many pixels', '1');
  },
  async run(ctx, args, opts) {
    const { exportLabels } = await import('../../../core/api/geo-ops.js');
    const format = String(args[0]);
    if (format !== 'coco' && format !== 'yolo') throw new UsageError(`unknown export format ${format}`, { hint: 'geo export coco|yolo' });
    const r = await exportLabels({ format, index: opts.index, annotations: opts.annotations, output: opts.output, classField: opts.classField, classMap: opts.classMap, minArea: Number(opts.minArea), onProgress: ctx.onProgress, signal: ctx.signal });
    if (ctx.json) ctx.outJson({ format: r.format, images: r.images, objects: r.objects, categories: r.categories, outputs: r.outputs.length });
    else ctx.out(`${r.objects} object(s) on ${r.images} chip(s), ${r.categories.length} categor${r.categories.length === 1 ? 'y' : 'ies'} (${r.format})`);
  },
};
