/**
 * NetCDF-4 files (HDF5 following the netCDF-4 conventions) seen as the classic data model, so the
 * NetCDF rules of `nc3-meta.ts` give their `add` metadata without GDAL:
 *
 * - a dimension is a dataset with `CLASS = "DIMENSION_SCALE"`; one whose `NAME` starts with
 *   "This is a netCDF dimension but not a netCDF variable" is a dimension only, the others are
 *   also (coordinate) variables; its size is the dataset's current size;
 * - a variable's dimensions are the dimension scales its `DIMENSION_LIST` references (a scale's own
 *   dimension is itself); variables in link creation order (netCDF-C's variable ids);
 * - attributes minus the ones netCDF-C hides (`CLASS`, `NAME`, `DIMENSION_LIST`, `REFERENCE_LIST`,
 *   `_Netcdf4Dimid`, `_Netcdf4Coordinates`, `_nc3_strict`, `_NCProperties`); HDF5 types mapped to
 *   netCDF external types; the own grid's block is the chunk (else a row), `_NoFill` (fill time
 *   "never") means no default nodata.
 *
 * Throws `H5Unsupported` for what this mapping is not sure about (groups below the root, user-defined
 * or string types, dimension scales of rank > 1, a variable without a complete `DIMENSION_LIST`,
 * groups without link creation order, netCDF-C's internal `_nc4_non_coord_*` names, a coordinate
 * shorter than its unlimited dimension): the caller leaves the file to GDAL.
 */
import { H5Unsupported, type H5Attr, type H5File, type H5Object, type H5Type } from './hdf5-reader.js';
import type { Nc3Dim, Nc3Header, Nc3Var } from './nc3-header.js';
import type { Nc3MetaHooks } from './nc3-meta.js';

const HIDDEN = new Set(['CLASS', 'NAME', 'DIMENSION_LIST', 'REFERENCE_LIST', '_Netcdf4Dimid', '_Netcdf4Coordinates', '_nc3_strict', '_NCProperties']);
const DIM_ONLY = 'This is a netCDF dimension but not a netCDF variable';

const unsure = (why: string): never => { throw new H5Unsupported(why); };

/** netCDF external type of an HDF5 datatype (1 byte … 11 uint64; 2 char = 1-byte fixed string). */
function ncType(t: H5Type): number {
  if (t.cls === 0 && t.kind !== 'padded') {
    const m: Record<number, [number, number]> = { 1: [1, 7], 2: [3, 8], 4: [4, 9], 8: [10, 11] };
    const p = m[t.size];
    if (p) return t.signed ? p[0] : p[1];
  }
  if (t.cls === 1 && t.ieee && t.kind !== 'vax') return t.size === 4 ? 5 : 6;
  if (t.cls === 3 && t.size === 1) return 2;
  return unsure(`datatype class ${t.cls} (${t.size} bytes)`);
}

function ncAttrs(o: H5Object): Nc3Var['attrs'] {
  const out: Nc3Var['attrs'] = new Map();
  for (const [name, a] of o.attrs) {
    if (HIDDEN.has(name)) continue;
    out.set(name, ncAttr(a));
  }
  return out;
}

function ncAttr(a: H5Attr): { type: number; value: string | number[] } {
  const v = a.value;
  if (typeof v === 'string') return { type: 2, value: v };
  if (Array.isArray(v) && (a.type.cls === 0 || a.type.cls === 1) && v.every((x) => typeof x === 'number')) return { type: ncType(a.type), value: v as number[] };
  return unsure(`attribute ${a.name}: type not modelled`);
}

const isScale = (o: H5Object) => o.attrs.get('CLASS')?.value === 'DIMENSION_SCALE';

/** The classic-model view of a NetCDF-4 file, plus how to read values, blocks and fill mode. */
export function nc4AsClassic(f: H5File): { header: Nc3Header; hooks: Nc3MetaHooks } {
  const root = f.root;
  if (!root.creationOrder) unsure('root group without link creation order');
  if (root.otherLinks) unsure('soft or external links');
  for (const o of f.objects) {
    if (o === root) continue;
    if (o.kind !== 'dataset') unsure(o.kind === 'group' ? `group ${o.path}` : `object ${o.path} (named datatype?)`);
  }
  const datasets = (root.children ?? []).map((c) => f.byAddr.get(c.addr)!).filter((o) => o && o.kind === 'dataset');
  // dimensions: every scale, in _Netcdf4Dimid order when all have it, else creation order
  const scales = datasets.filter(isScale);
  const dimIdOf = (o: H5Object) => { const v = o.attrs.get('_Netcdf4Dimid')?.value; return Array.isArray(v) && v.length === 1 && typeof v[0] === 'number' ? v[0] : undefined; };
  const ordered = scales.every((s) => dimIdOf(s) !== undefined) ? [...scales].sort((a, b) => dimIdOf(a)! - dimIdOf(b)!) : scales;
  const dims: Nc3Dim[] = [];
  const dimIndex = new Map<number, number>();
  for (const s of ordered) {
    if (s.shape!.length !== 1) unsure(`dimension scale ${s.path} of rank ${s.shape!.length}`);
    if (s.attrs.has('_Netcdf4Coordinates') && s.attrs.get('_Netcdf4Coordinates')!.shape.reduce((a, b) => a * b, 1) !== 1) unsure('multidimensional coordinate variable');
    dimIndex.set(s.addr, dims.length);
    const unlimited = s.maxShape?.[0] === -1;
    dims.push({ name: s.name, size: s.shape![0]!, unlimited });
  }
  const vars: Nc3Var[] = [];
  const byVar = new Map<Nc3Var, H5Object>();
  for (const d of datasets) {
    // netCDF-C stores a variable named like a dimension it is not the coordinate of under another name
    if (d.name.startsWith('_nc4_')) unsure(`dataset ${d.name} (a netCDF-C internal name)`);
    const name = d.attrs.get('NAME')?.value;
    if (isScale(d) && typeof name === 'string' && name.startsWith(DIM_ONLY)) continue;
    let dimIds: number[];
    if (isScale(d)) dimIds = [dimIndex.get(d.addr)!];
    else if (d.shape!.length === 0) dimIds = [];
    else {
      const dl = d.attrs.get('DIMENSION_LIST')?.value;
      if (!Array.isArray(dl) || dl.length !== d.shape!.length) return unsure(`variable ${d.path} without a complete DIMENSION_LIST`);
      dimIds = (dl as unknown[]).map((refs) => {
        if (!Array.isArray(refs) || refs.length !== 1) return unsure(`variable ${d.path}: a dimension with ${Array.isArray(refs) ? refs.length : 0} scales`);
        const id = dimIndex.get(refs[0] as number);
        return id ?? unsure(`variable ${d.path}: dimension scale not in the root group`);
      });
      // an unlimited dimension is as long as its longest variable (netCDF-C); fixed ones must match
      dimIds.forEach((id, k) => {
        const dim = dims[id]!;
        if (dim.unlimited) dim.size = Math.max(dim.size, d.shape![k]!);
        else if (dim.size !== d.shape![k]) unsure(`variable ${d.path}: size differs from its dimension`);
      });
    }
    const v: Nc3Var = { name: d.name, dimIds, attrs: ncAttrs(d), type: ncType(d.type!), vsize: 0, begin: 0, record: dimIds.length > 0 && dims[dimIds[0]!]!.unlimited };
    vars.push(v);
    byVar.set(v, d);
  }
  // a coordinate shorter than its (unlimited) dimension: netCDF-C pads it with fill values
  for (const v of vars) if (isScale(byVar.get(v)!) && byVar.get(v)!.shape![0] !== dims[v.dimIds[0]!]!.size) unsure(`coordinate ${v.name} shorter than its dimension`);
  const header: Nc3Header = { version: 1, numrecs: 0, dims, attrs: ncAttrs(root), vars, recsize: 0, fileSize: 0 };
  const hooks: Nc3MetaHooks = {
    values: (v, max) => f.readValues(byVar.get(v)!, max),
    block: (v) => {
      const d = byVar.get(v)!;
      const L = d.layout!;
      const shape = d.shape!;
      if (L.cls === 'chunked') { const c = L.chunk!; return [c[c.length - 1]!, c[c.length - 2]!]; }
      return [shape[shape.length - 1]!, 1];
    },
    // `_NoFill`, and unsigned bytes (GDAL gives NC_UBYTE no default nodata)
    noFill: (v) => byVar.get(v)!.fill?.writeTime === 1 || v.type === 7,
  };
  return { header, hooks };
}
