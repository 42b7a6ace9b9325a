# The GDAL utilities gdalwarp, gdalbuildvrt and gdal_translate as library calls in one long-lived
# python3-gdal process, for tests that ask GDAL for hundreds of answers (test/helpers/gdal-tools.ts).
# Each Debian gdal-bin tool is a thin main() around the libgdal function of the same name (GDALWarp,
# GDALBuildVRT, GDALTranslate) taking the same argument list; GDAL's own Python bindings call that
# function of the same libgdal. What one process per call costs (~0.1 s of CPU: mostly the dynamic
# linking of libgdal's ~110 libraries) is paid once. GDAL_PAM_ENABLED=NO comes from the environment,
# as for the tools. Requests and answers are JSON lines: {id, tool, args} -> {id, out} | {id, error}.
import json, sys
from osgeo import gdal

gdal.UseExceptions()


def datasets(args, n):
    opts, paths = args[:len(args) - n], args[len(args) - n:]
    if len(paths) != n or any(not isinstance(p, str) or p.startswith('-') for p in paths):
        raise ValueError('expected %d dataset path(s) at the end of %s' % (n, json.dumps(args)))
    return opts, paths


def gdalwarp(args):
    opts, (src, dst) = datasets(args, 2)
    ds = gdal.Warp(dst, src, options=opts)
    if ds is None:
        raise RuntimeError('gdalwarp failed')
    ds = None  # closed: written


def gdalbuildvrt(args):
    opts, (dst, src) = datasets(args, 2)
    ds = gdal.BuildVRT(dst, [src], options=opts)
    if ds is None:
        raise RuntimeError('gdalbuildvrt failed')
    ds = None


def gdal_translate(args):
    opts, (src, dst) = datasets(args, 2)
    ds = gdal.Translate(dst, src, options=opts)
    if ds is None:
        raise RuntimeError('gdal_translate failed')
    ds = None


TOOLS = {'gdalwarp': gdalwarp, 'gdalbuildvrt': gdalbuildvrt, 'gdal_translate': gdal_translate}

print(json.dumps({'ready': gdal.__version__}), flush=True)
for line in sys.stdin:
    m = json.loads(line)
    try:
        fn = TOOLS.get(m['tool'])
        if fn is None:
            raise ValueError('unknown tool %s' % m['tool'])
        fn(m['args'])
        out = {'id': m['id'], 'out': ''}
    except Exception as e:  # GDAL's error: the call the tool would fail
        out = {'id': m['id'], 'error': str(e)}
    print(json.dumps(out), flush=True)
