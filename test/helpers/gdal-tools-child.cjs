// The GDAL utilities (gdalinfo, gdalwarp, gdalbuildvrt, gdal_translate) as library calls in one
// long-lived process, for tests that ask GDAL for hundreds of answers (test/helpers/gdal-tools.ts).
// Each Debian gdal-bin tool is a thin main() around the same libgdal function (GDALInfo, GDALWarp,
// GDALBuildVRT, GDALTranslate) taking the same argument list; gdal-async calls that function of the
// same libgdal.so (its binding is built against the system GDAL). What the per-call process cost
// (~0.1 s of CPU each: mostly the dynamic linking of libgdal's ~110 libraries) is paid once here.
// gdal-async is loaded as it comes, without geodvc's configuration (src/geo/engine/native.ts): the
// oracle keeps GDAL's defaults, like the command-line tools; GDAL_PAM_ENABLED=NO comes from the
// environment, as for them.
'use strict';
const gdal = require('gdal-async');

/** `args` without its last `n` positional words (the datasets), and those words. */
function split(args, n) {
  const rest = args.slice(0, args.length - n);
  const paths = args.slice(args.length - n);
  if (paths.some((p) => typeof p !== 'string' || p.startsWith('-'))) throw new Error(`expected ${n} dataset path(s) at the end of ${JSON.stringify(args)}`);
  return [rest, paths];
}

const closeAll = (dss) => { for (const d of dss) { try { d.close(); } catch { /* closed */ } } };

const tools = {
  async gdalinfo(args) {
    const [opts, [path]] = split(args, 1);
    const ds = await gdal.openAsync(path);
    try { return await gdal.infoAsync(ds, opts); } finally { closeAll([ds]); }
  },
  async gdalwarp(args) {
    const [opts, [src, dst]] = split(args, 2);
    const ds = await gdal.openAsync(src);
    try {
      const out = await gdal.warpAsync(dst, null, [ds], opts);
      out.close();
      return '';
    } finally { closeAll([ds]); }
  },
  async gdalbuildvrt(args) {
    const [opts, [dst, src]] = split(args, 2);
    const out = await gdal.buildVRTAsync(dst, [src], opts);
    out.close();
    return '';
  },
  async gdal_translate(args) {
    const [opts, [src, dst]] = split(args, 2);
    const ds = await gdal.openAsync(src);
    try {
      const out = await gdal.translateAsync(dst, ds, opts);
      out.close();
      return '';
    } finally { closeAll([ds]); }
  },
};

process.on('disconnect', () => process.exit(0));
process.on('message', (m) => {
  const fn = tools[m.tool];
  Promise.resolve()
    .then(() => { if (!fn) throw new Error(`unknown tool ${m.tool}`); return fn(m.args); })
    .then((out) => process.send({ id: m.id, out }), (e) => process.send({ id: m.id, error: String((e && e.message) || e) }));
});
process.send({ ready: gdal.version });
