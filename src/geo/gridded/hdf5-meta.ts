/**
 * The `add` metadata of an HDF5 file (or a NetCDF-4 file) from its header (`hdf5-reader.ts`),
 * without GDAL: the same object `griddedMetaOf(readGriddedInfo(file))` builds, where this reader is
 * sure GDAL 3.6 answers the same.
 *
 * GDAL picks the driver of an HDF5-signature file by its extension: `.nc .cdf .nc2 .nc3 .nc4 .grd
 * .gmac` go to the netCDF driver (netCDF-C), everything else to the HDF5 driver.
 *
 * - netCDF driver: the file seen as the classic data model (`hdf5-nc4.ts`) through the NetCDF rules
 *   of `nc3-meta.ts` (block = the chunk of the own grid, `_NoFill` = no default nodata);
 * - HDF5 driver (plain HDF5 without attributes on its datasets): `variables` = every dataset (group
 *   arrays before subgroups, names in byte order) with anonymous dims `dim0, dim1, ...`; the grids
 *   are the datasets of rank 2–3 (depth first, names in byte order); exactly one is the file's own
 *   raster (`HDF5Image`: size, bands, dtype, block = chunk or a row), several are `grids`; no CRS,
 *   geotransform or nodata.
 *
 * Returns undefined where unsure (with the reason for tests): attributes (units, fill values,
 * dimension scales, product metadata GDAL interprets), 1-byte signed, 64-bit or non-numeric types,
 * rank 0 or over 3, soft/external links, a `.aux.xml`/`.ovr` sidecar GDAL would read, malformed or
 * unsupported structures (`H5FormatError`, `H5Unsupported`).
 */
import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { H5FormatError, H5Unsupported, closeH5, openH5, type H5File, type H5Object, type H5Type } from './hdf5-reader.js';
import { nc4AsClassic } from './hdf5-nc4.js';
import { nc3MetaOf } from './nc3-meta.js';
import { Nc3FormatError } from './nc3-header.js';

const NETCDF_EXT = new Set(['.nc', '.cdf', '.nc2', '.nc3', '.nc4', '.grd', '.gmac']);

const unsure = (why: string): never => { throw new H5Unsupported(why); };

/** Whether GDAL 3.6 opens an HDF5-signature file with its netCDF driver (by the file's extension). */
export function isNetcdfByExtension(absPath: string): boolean {
  return NETCDF_EXT.has(extname(absPath).toLowerCase());
}

/** Sidecars GDAL reads for any file (PAM metadata, external overviews): their content is GDAL's to say. */
function hasSidecar(absPath: string): boolean {
  return [`${absPath}.aux.xml`, `${absPath}.ovr`, `${absPath}.AUX.XML`, `${absPath}.OVR`].some((n) => existsSync(n));
}

export function hdf5FastMeta(absPath: string, why?: (reason: string) => void): Record<string, unknown> | undefined {
  let f: H5File | undefined;
  if (hasSidecar(absPath)) { why?.('sidecar file (.aux.xml/.ovr) GDAL would read'); return undefined; }
  try {
    f = openH5(absPath);
    if (isNetcdfByExtension(absPath)) {
      const { header, hooks } = nc4AsClassic(f);
      return nc3MetaOf(header, hooks, why);
    }
    return plainMeta(f);
  } catch (e) {
    if (e instanceof H5FormatError || e instanceof H5Unsupported || e instanceof Nc3FormatError || e instanceof RangeError) { why?.(e.message); return undefined; }
    // zlib errors of a damaged chunk and the like: unsure too, never a crash of `add`
    if ((e as NodeJS.ErrnoException)?.code?.startsWith?.('Z_')) { why?.((e as Error).message); return undefined; }
    throw e;
  } finally { if (f) closeH5(f); }
}

/** GDAL's data type name of an HDF5 datatype (the ones this reader vouches for). */
function gdalType(t: H5Type): string {
  if (t.cls === 0 && t.kind !== 'padded') {
    const name = ({ 1: t.signed ? undefined : 'Byte', 2: t.signed ? 'Int16' : 'UInt16', 4: t.signed ? 'Int32' : 'UInt32' } as Record<number, string | undefined>)[t.size];
    if (name) return name;
  }
  if (t.cls === 1 && t.ieee && t.kind !== 'vax') return t.size === 4 ? 'Float32' : 'Float64';
  return unsure(`datatype class ${t.cls} of ${t.size} bytes`);
}

function plainMeta(f: H5File): Record<string, unknown> {
  for (const o of f.objects) {
    if (o.kind === 'other') unsure(`object ${o.path} is neither a group nor a dataset`);
    if (o.attrs.size) unsure(`${o.path} has attributes`);
    if (o.otherLinks) unsure(`${o.path} has soft or external links`);
    if (o.kind === 'dataset' && o.shape!.length === 0) unsure(`${o.path}: scalar dataset`);
  }
  // variables as GDAL's multidimensional API lists them: a group's arrays, then its subgroups
  const arrays: H5Object[] = [];
  const byAddr = f.byAddr;
  const visit = (g: H5Object, seen: Set<number>) => {
    if (seen.has(g.addr)) return;
    seen.add(g.addr);
    const kids = (g.children ?? []).map((c) => ({ name: c.name, o: byAddr.get(c.addr) })).sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
    for (const k of kids) if (k.o?.kind === 'dataset' && k.o.path.endsWith(`/${k.name}`)) arrays.push(k.o);
    for (const k of kids) if (k.o?.kind === 'group' && k.o.path.endsWith(`/${k.name}`)) visit(k.o, seen);
  };
  visit(f.root, new Set());
  if (arrays.length !== f.objects.filter((o) => o.kind === 'dataset').length) unsure('a dataset reached by several links');
  // subdatasets as the classic driver lists them: depth first, names in byte order
  const grids: H5Object[] = [];
  const visitClassic = (g: H5Object, seen: Set<number>) => {
    if (seen.has(g.addr)) return;
    seen.add(g.addr);
    const kids = (g.children ?? []).map((c) => ({ name: c.name, o: byAddr.get(c.addr) })).sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
    for (const k of kids) {
      if (!k.o || !k.o.path.endsWith(`/${k.name}`)) continue;
      if (k.o.kind === 'group') visitClassic(k.o, seen);
      else if (k.o.kind === 'dataset' && k.o.shape!.length >= 2) grids.push(k.o);
    }
  };
  visitClassic(f.root, new Set());

  const variables = arrays.map((a) => {
    if (a.shape!.length > 3) unsure(`${a.path}: rank ${a.shape!.length}`);
    if (a.shape!.some((d) => d === 0)) unsure(`${a.path}: empty dimension`);
    if (/[^A-Za-z0-9_./-]/.test(a.path)) unsure(`${a.path}: name GDAL may escape`);
    if (/^(lat|lon|latitude|longitude)$/i.test(a.name)) unsure(`${a.path}: geolocation array`);
    return { name: a.path, dims: a.shape!.map((_, i) => `dim${i}`), shape: a.shape!, dtype: gdalType(a.type!) };
  });
  const dims: Record<string, unknown> = {};
  for (const v of variables) v.dims.forEach((d, i) => { if (!dims[d]) dims[d] = { size: v.shape[i] }; });

  const rasterOf = (g: H5Object) => {
    const s = g.shape!;
    return { size: [s[s.length - 1]!, s[s.length - 2]!] as [number, number], bands: s.length === 3 ? s[0]! : 1, dtype: gdalType(g.type!) };
  };
  const meta: Record<string, unknown> = { kind: 'gridded', format: 'hdf5', driver: grids.length === 1 ? 'HDF5Image' : 'HDF5' };
  if (grids.length === 1) {
    const g = grids[0]!;
    const r = rasterOf(g);
    const L = g.layout!;
    const block: [number, number] = L.cls === 'chunked' ? [L.chunk![L.chunk!.length - 1]!, L.chunk![L.chunk!.length - 2]!] : [r.size[0], 1];
    Object.assign(meta, { size: r.size, bands: r.bands, dtype: r.dtype, block });
  }
  if (variables.length) { meta.variables = variables; meta.dims = dims; }
  if (grids.length > 1) meta.grids = grids.map((g) => ({ variable: g.path, ...rasterOf(g) }));
  return meta;
}
