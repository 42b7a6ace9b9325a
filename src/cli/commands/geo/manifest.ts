import type { CommandModule } from '../../types.js';
import { UsageError } from '../../../lib/errors.js';

export const command: CommandModule = {
  path: ['geo', 'manifest'],
  describe: 'SHA-256 manifest of the annotation files under DIR (vector labels, COCO JSON, Pascal VOC XML), in sha256sum format (verify with `sha256sum -c` or --check)',
  configure(cmd) {
    cmd.argument('[dir]', 'directory holding the annotation files')
      .option('-o, --output <file>', 'write the manifest to FILE (paths relative to its directory); default: stdout, paths relative to the current directory')
      .option('--check <file>', 'verify the files listed in a manifest instead of writing one')
      .option('--all', 'hash every file, not only vector formats and their sidecars')
      .option('--fingerprint', 'print the semantic fingerprint of DIR (or a file) instead: independent of feature order, format, field order and sub-tolerance drift')
      .option('-t, --tolerance <t>', 'tolerance of the semantic fingerprint (0.5m, 50cm, 1e-6deg, 2u, 0.5px); default 0.1m for geographic labels, 0.5px for COCO/VOC')
      .option('--crs <crs>', 'CRS of files that declare none (for --fingerprint)');
  },
  async run(ctx, args, opts) {
    const api = await import('../../../core/api/geo-manifest.js');
    if (opts.check) {
      if (args[0]) throw new UsageError('--check takes the manifest file, not a directory', { hint: 'geodvc geo manifest --check labels.sha256' });
      const r = await api.geoManifestCheck({ cwd: ctx.cwd, file: opts.check, findUnlisted: true, signal: ctx.signal, onProgress: ctx.onProgress });
      if (ctx.json) ctx.outJson(r);
      else {
        for (const p of r.mismatched) ctx.out(`${p}: FAILED`, true);
        for (const p of r.missing) ctx.out(`${p}: FAILED open or read`, true);
        for (const p of r.unlisted) ctx.warn(`not in the manifest: ${p}`);
        ctx.out(r.ok ? `${r.checked} file(s) OK` : `WARNING: ${r.mismatched.length} computed checksum(s) did NOT match, ${r.missing.length} listed file(s) missing`, !r.ok);
      }
      return r.ok ? 0 : 1;
    }
    if (!args[0]) throw new UsageError('geo manifest needs a directory (or --check FILE)', { hint: 'geodvc geo manifest labels/ -o labels.sha256' });
    if (opts.fingerprint) {
      const r = await api.geoFingerprint({ cwd: ctx.cwd, path: args[0], tolerance: opts.tolerance, crs: opts.crs, onProgress: ctx.onProgress, signal: ctx.signal });
      if (ctx.json) ctx.outJson(r);
      else {
        ctx.out(`${r.fingerprint}  ${args[0]}`, true);
        if (r.datasets) for (const d of r.datasets) ctx.info(`${d.path}: ${d.format}, ${d.images} image(s), ${d.annotations} annotation(s), ${d.categories} categor${d.categories === 1 ? 'y' : 'ies'}`);
        if (!r.datasets || r.files.length > r.datasets.length) ctx.info(`${r.features} feature(s) in ${r.files.length} layer(s), ${r.crs.join(', ')}`);
        for (const is of r.issues.slice(0, 20)) ctx.warn(`${is.path} ${is.feature}: ${is.problem}${is.detail ? ` ${is.detail}` : ''}`);
      }
      return 0;
    }
    const r = await api.geoManifest({ cwd: ctx.cwd, dir: args[0], output: opts.output, all: !!opts.all, signal: ctx.signal, onProgress: ctx.onProgress });
    if (ctx.json) ctx.outJson({ output: r.output, files: r.entries });
    else if (r.output) ctx.out(`${r.entries.length} file(s) hashed into ${r.output}`);
    else if (r.text) ctx.out(r.text.replace(/\n$/, ''), true);
    if (!r.entries.length) ctx.warn('no annotation files found (use --all to hash every file)');
    return 0;
  },
};
