/**
 * A pure STAC 1.0 writer: Catalog, Collection and Items from geodvc's compact geo metadata
 * (`GeoMeta` of `.dvc` files and the per-directory index). No I/O here: the caller (core/api/stac)
 * resolves tracked files, hashes and revisions and writes the JSON documents.
 */
import { rasterBounds, pixelToWorld, worldToPixel, type GeoTransform } from '../crs/grid.js';
import { crsFromText, transformer, WGS84 } from '../crs/crs.js';
import { PC_EXT, pointCloudCorners, pointCloudStacProperties } from '../pointcloud/stac.js';

export const STAC_VERSION = '1.0.0';
export const EXT = {
  proj: 'https://stac-extensions.github.io/projection/v2.0.0/schema.json',
  raster: 'https://stac-extensions.github.io/raster/v1.1.0/schema.json',
  file: 'https://stac-extensions.github.io/file/v2.1.0/schema.json',
  label: 'https://stac-extensions.github.io/label/v1.0.1/schema.json',
  version: 'https://stac-extensions.github.io/version/v1.2.0/schema.json',
  pointcloud: PC_EXT,
} as const;

export interface StacSource {
  /** Repository-relative posix path of the data file. */
  path: string;
  meta: Record<string, unknown>;
  /** Object hash and its algorithm (md5, md5-dos2unix, xxh128, sha256). */
  oid?: string;
  hashName?: string;
  size?: number;
  /** ISO date of the commit that last changed the tracking `.dvc` file (fallback datetime). */
  commitDate?: string;
  /** Commit sha of this revision and of the previous revision of the same `.dvc` file. */
  version?: string;
  predecessor?: string;
  /** The footprint computed by GDAL/PROJ from the data itself (native engine), preferred over the one from `meta`. */
  footprint?: Footprint;
}

export interface StacLink { rel: string; href: string; type?: string; title?: string }
export type Json = Record<string, unknown>;

/** GDAL data type → STAC raster `data_type`. */
const DTYPES: Record<string, string> = {
  Byte: 'uint8', Int8: 'int8', UInt16: 'uint16', Int16: 'int16', UInt32: 'uint32', Int32: 'int32', UInt64: 'uint64', Int64: 'int64',
  Float16: 'float16', Float32: 'float32', Float64: 'float64', CInt16: 'cint16', CInt32: 'cint32', CFloat32: 'cfloat32', CFloat64: 'cfloat64',
};

/**
 * `file:checksum` is a hex multihash: md5 → code 0xd5, length 16 (`d50110…`); sha2-256 → `1220…`.
 * xxh128 has no registered multihash code, so no checksum is emitted for it (undefined).
 */
export function multihash(hashName: string | undefined, oid: string | undefined): string | undefined {
  if (!oid) return undefined;
  const hex = oid.replace(/\.dir$/, '').toLowerCase();
  if ((hashName === 'md5' || hashName === 'md5-dos2unix') && /^[0-9a-f]{32}$/.test(hex)) return `d50110${hex}`;
  if (hashName === 'sha256' && /^[0-9a-f]{64}$/.test(hex)) return `1220${hex}`;
  return undefined;
}

/** An RFC 3339 datetime from TIFFTAG_DATETIME (`YYYY:MM:DD HH:MM:SS`) or ISO-ish strings. */
export function toRfc3339(v: unknown): string | undefined {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.toISOString();
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  let m = /^(\d{4})[:-](\d{2})[:-](\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2}(?:\.\d+)?))?\s*(Z|[+-]\d{2}:?\d{2})?$/.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', sec = '00', tz] = m;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${sec.includes('.') ? sec : sec}${tz ? (tz === 'Z' ? 'Z' : tz.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')) : 'Z'}`;
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return undefined;
  m = null;
  return t.toISOString().replace('.000Z', 'Z');
}

const USER_DATE_KEYS = ['datetime', 'acquisition_datetime', 'acquisition_date', 'acquired', 'date'];
/**
 * The Item datetime: the companion `metadata.yaml` (`datetime`, `acquisition_date`, …, or
 * `start_datetime`/`end_datetime`), else the raster's acquisition tags (ACQUISITION*, DATE*,
 * TIFFTAG_DATETIME), else null with start/end set to the commit date.
 */
export function itemDatetime(meta: Json, commitDate?: string): { datetime: string | null; start_datetime?: string; end_datetime?: string; source: string } {
  const user = (meta.user ?? {}) as Json;
  for (const k of USER_DATE_KEYS) { const t = toRfc3339(user[k]); if (t) return { datetime: t, source: `metadata.yaml:${k}` }; }
  const us = toRfc3339(user.start_datetime), ue = toRfc3339(user.end_datetime);
  if (us && ue) return { datetime: null, start_datetime: us, end_datetime: ue, source: 'metadata.yaml:start/end' };
  const acq = (meta.acquisition ?? {}) as Record<string, string>;
  const keys = Object.keys(acq).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1));
  for (const k of keys) { const t = toRfc3339(acq[k]); if (t) return { datetime: t, source: `tag:${k}` }; }
  const c = commitDate ? toRfc3339(commitDate) ?? new Date(commitDate).toISOString().replace('.000Z', 'Z') : new Date(0).toISOString().replace('.000Z', 'Z');
  return { datetime: null, start_datetime: c, end_datetime: c, source: commitDate ? 'commit' : 'none' };
}
function rank(k: string): number { return /^ACQUISITION/i.test(k) ? 0 : /^(SENSING|DATE)/i.test(k) ? 1 : /TIFFTAG_DATETIME/i.test(k) ? 2 : 3; }

export type Footprint = { ring: [number, number][]; bbox: [number, number, number, number]; parts?: [number, number][][] };

/**
 * A STAC footprint from a raster's outline in lon/lat (densified, in order around the raster; null
 * where the point has no lon/lat) and the poles it contains:
 * - a pole inside the raster: the polar cap down to the outline's lowest latitude (bbox reaches the
 *   pole over all longitudes; the outline itself winds around the pole and would self-intersect);
 * - an outline crossing the antimeridian: split into two polygons at +-180 (`parts`), bbox with
 *   west > east as RFC 7946 says;
 * - else the outline, counter-clockwise.
 */
export function footprintFromBoundary(b: { ring: ([number, number] | null)[]; north: boolean; south: boolean }): Footprint | undefined {
  const pts = b.ring.filter((p): p is [number, number] => !!p && Number.isFinite(p[0]) && Number.isFinite(p[1]));
  if (pts.length < 3) return undefined;
  const lats = pts.map((p) => p[1]);
  if (b.north || b.south) {
    const lo = b.north ? Math.max(-90, Math.min(...lats)) : -90;
    const hi = b.south ? Math.min(90, Math.max(...lats)) : 90;
    const bbox: [number, number, number, number] = [-180, round(lo), 180, round(hi)];
    return { bbox, ring: [[-180, bbox[1]], [180, bbox[1]], [180, bbox[3]], [-180, bbox[3]], [-180, bbox[1]]] };
  }
  // unwrap longitudes along the outline (a step over 180 degrees crosses the antimeridian)
  const un: [number, number][] = [];
  for (const p of pts) {
    let x = ((((p[0] + 180) % 360) + 360) % 360) - 180;
    if (p[0] === 180) x = 180;
    if (un.length) {
      const prev = un[un.length - 1]![0];
      while (x - prev > 180) x -= 360;
      while (prev - x > 180) x += 360;
    }
    un.push([x, p[1]]);
  }
  let xs = un.map((p) => p[0]);
  let minX = Math.min(...xs), maxX = Math.max(...xs);
  if (minX < -180 || maxX > 180) {
    // shift so the outline sits on [-180, 540): the crossing is at +180
    const shift = minX < -180 ? 360 : 0;
    const ring = ccw(un.map((p) => [p[0] + shift, p[1]] as [number, number]));
    xs = ring.map((p) => p[0]);
    minX = Math.min(...xs); maxX = Math.max(...xs);
    const west = clipX(ring, 180, true), east = clipX(ring, 180, false).map((p) => [p[0] - 360, p[1]] as [number, number]);
    const close = (r: [number, number][]) => r.map((p) => [round(p[0]), round(p[1])] as [number, number]).concat([[round(r[0]![0]), round(r[0]![1])]]);
    const parts = [west, east].filter((r) => r.length >= 3).map(close);
    const bbox: [number, number, number, number] = [round(minX), round(Math.min(...lats)), round(maxX - 360), round(Math.max(...lats))];
    return { ring: parts[0]!, parts, bbox };
  }
  const ring = ccw(un).map((p) => [round(p[0]), round(p[1])] as [number, number]);
  ring.push(ring[0]!);
  const rx = ring.map((p) => p[0]), ry = ring.map((p) => p[1]);
  return { ring, bbox: [Math.min(...rx), Math.min(...ry), Math.max(...rx), Math.max(...ry)] };
}

/** Sutherland-Hodgman clip of a ring against the vertical line x = at (keep the west side, or the east side). */
function clipX(ring: [number, number][], at: number, keepWest: boolean): [number, number][] {
  const inside = (p: [number, number]) => (keepWest ? p[0] <= at : p[0] >= at);
  const out: [number, number][] = [];
  for (let i = 0; i < ring.length; i++) {
    const a = ring[i]!, c = ring[(i + 1) % ring.length]!;
    const ia = inside(a), ic = inside(c);
    if (ia) out.push(a);
    if (ia !== ic && a[0] !== c[0]) {
      const t = (at - a[0]) / (c[0] - a[0]);
      out.push([at, a[1] + t * (c[1] - a[1])]);
    }
  }
  return out;
}

/** Outline of pixel-space `corners` (densified) in `crsText`, through proj4js, as a footprint. */
function footprint(corners: [number, number][], crsText: string | undefined, densify = 8, pixelInside?: (xy: [number, number]) => boolean): Footprint | undefined {
  let f: (xy: [number, number]) => [number, number] = (p) => p;
  let inv: ((xy: [number, number]) => [number, number]) | undefined = (p) => p;
  if (crsText && !/^EPSG:4326$/i.test(crsText)) {
    const crs = crsFromText(crsText);
    if (!crs) return undefined;
    try { f = transformer(crs, WGS84); } catch { return undefined; }
    try { inv = transformer(WGS84, crs); } catch { inv = undefined; }
  } else if (!crsText) return undefined;
  const ring: ([number, number] | null)[] = [];
  for (let i = 0; i < corners.length; i++) {
    const a = corners[i]!, b = corners[(i + 1) % corners.length]!;
    for (let k = 0; k < densify; k++) {
      const t = k / densify;
      let q: [number, number];
      try { q = f([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]); } catch { return undefined; }
      if (!Number.isFinite(q[0]) || !Number.isFinite(q[1])) return undefined;
      ring.push(q);
    }
  }
  const pole = (lat: number) => {
    if (!inv || !pixelInside) return false;
    try { const p = inv([0, lat]); return Number.isFinite(p[0]) && Number.isFinite(p[1]) && pixelInside(p); } catch { return false; }
  };
  return footprintFromBoundary({ ring, north: pole(90), south: pole(-90) });
}
const round = (v: number) => Math.round(v * 1e9) / 1e9;

/** Footprint of a raster (from its geotransform) or of a vector (union of its layers' extents). */
export function geoFootprint(meta: Json): Footprint | undefined {
  if (meta.kind === 'raster') {
    const gt = meta.geotransform as GeoTransform | undefined;
    const size = meta.size as [number, number] | undefined;
    if (!gt || !size) return undefined;
    const [w, h] = size;
    // counter-clockwise in a north-up projected CRS: UL, LL, LR, UR
    const c = [pixelToWorld(gt, 0, 0), pixelToWorld(gt, w, 0), pixelToWorld(gt, w, h), pixelToWorld(gt, 0, h)] as [number, number][];
    void rasterBounds;
    const inside = (xy: [number, number]) => { try { const [px, py] = worldToPixel(gt, xy[0], xy[1]); return px >= 0 && px <= w && py >= 0 && py <= h; } catch { return false; } };
    return footprint(c, meta.crs as string | undefined, 16, inside);
  }
  if (meta.kind === 'pointcloud') {
    // LAS/LAZ/COPC: the header's xy bounds
    const c = pointCloudCorners(meta);
    return c ? footprint(c, meta.crs as string | undefined) : undefined;
  }
  const layers = (meta.layers ?? []) as { extent?: number[]; crs?: string }[];
  let out: ReturnType<typeof footprint>;
  for (const l of layers) {
    if (!l.extent || l.extent.length < 4) continue;
    const [x0, y0, x1, y1] = l.extent as [number, number, number, number];
    const fp = footprint([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], l.crs);
    if (!fp) continue;
    if (!out) out = fp;
    else {
      const b = [Math.min(out.bbox[0], fp.bbox[0]), Math.min(out.bbox[1], fp.bbox[1]), Math.max(out.bbox[2], fp.bbox[2]), Math.max(out.bbox[3], fp.bbox[3])] as [number, number, number, number];
      out = { bbox: b, ring: [[b[0], b[1]], [b[2], b[1]], [b[2], b[3]], [b[0], b[3]], [b[0], b[1]]] };
    }
  }
  return out;
}
function ccw(c: [number, number][]): [number, number][] {
  let a = 0;
  for (let i = 0; i < c.length; i++) { const p = c[i]!, q = c[(i + 1) % c.length]!; a += p[0] * q[1] - q[0] * p[1]; }
  return a < 0 ? c.slice().reverse() : c;
}

/** A STAC id from a repository path: `data/tiles/a.tif` → `data-tiles-a.tif`. */
export function itemId(path: string): string {
  return path.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
}

const MEDIA: Record<string, string> = {
  tif: 'image/tiff; application=geotiff', tiff: 'image/tiff; application=geotiff', vrt: 'application/xml',
  geojson: 'application/geo+json', json: 'application/geo+json', gpkg: 'application/geopackage+sqlite3', fgb: 'application/vnd.flatgeobuf', shp: 'application/x-shapefile',
};
function mediaType(path: string, meta: Json): string | undefined {
  const ext = path.split('.').pop()!.toLowerCase();
  if ((ext === 'tif' || ext === 'tiff') && meta.driver === 'GTiff' && (meta.overviews || (meta.block as number[] | undefined)?.[0] !== (meta.size as number[] | undefined)?.[0])) {
    return 'image/tiff; application=geotiff; profile=cloud-optimized';
  }
  if (meta.kind === 'pointcloud') return meta.driver === 'COPC' ? 'application/vnd.laszip+copc' : meta.driver === 'LAZ' ? 'application/vnd.laszip' : 'application/vnd.las';
  return MEDIA[ext];
}

export interface ItemOptions { assetHref: string; selfHref: string; collectionId: string; rootHref: string; collectionHref: string; predecessorHref?: string }

export function buildItem(src: StacSource, o: ItemOptions): Json | undefined {
  const meta = src.meta;
  const fp = src.footprint ?? geoFootprint(meta);
  if (!fp) return undefined;
  const dt = itemDatetime(meta, src.commitDate);
  const exts: string[] = [];
  const props: Json = { datetime: dt.datetime };
  if (dt.start_datetime) { props.start_datetime = dt.start_datetime; props.end_datetime = dt.end_datetime; }
  props['geodvc:datetime_source'] = dt.source;
  const asset: Json = { href: o.assetHref, roles: ['data'], title: src.path };
  const mt = mediaType(src.path, meta);
  if (mt) asset.type = mt;
  if (meta.kind === 'raster') {
    exts.push(EXT.proj, EXT.raster);
    const gt = meta.geotransform as number[] | undefined;
    const [w, h] = meta.size as [number, number];
    props['proj:code'] = typeof meta.crs === 'string' && /^EPSG:\d+$/i.test(meta.crs) ? meta.crs.toUpperCase() : null;
    props['proj:shape'] = [h, w];
    // a raster georeferenced by GCPs only has no affine transform
    if (gt) props['proj:transform'] = [gt[1], gt[2], gt[0], gt[4], gt[5], gt[3]];
    const nb = Number(meta.bands ?? 1);
    const band: Json = {};
    if (typeof meta.dtype === 'string' && DTYPES[meta.dtype]) band.data_type = DTYPES[meta.dtype];
    if (meta.nodata !== undefined && meta.nodata !== null) {
      const n = meta.nodata;
      band.nodata = typeof n === 'number' ? n : /^nan$/i.test(String(n)) ? 'nan' : /^-?inf/i.test(String(n)) ? (String(n).startsWith('-') ? '-inf' : 'inf') : Number(n);
    }
    const res = meta.resolution as number[] | undefined;
    if (res) band.spatial_resolution = Math.abs(res[0]!);
    asset['raster:bands'] = Array.from({ length: nb }, () => ({ ...band }));
    asset.roles = ['data'];
  } else if (meta.kind === 'pointcloud') {
    exts.push(EXT.proj, EXT.pointcloud);
    Object.assign(props, pointCloudStacProperties(meta));
  } else {
    exts.push(EXT.label);
    const layers = (meta.layers ?? []) as { name: string; features: number; geometry: string }[];
    props['label:properties'] = null;
    props['label:description'] = `vector labels: ${layers.map((l) => `${l.name} (${l.features} ${l.geometry})`).join(', ')}`;
    props['label:type'] = 'vector';
    props['label:tasks'] = ['segmentation'];
    props['label:methods'] = ['manual'];
    asset.roles = ['labels', 'labels-vector'];
  }
  const cs = multihash(src.hashName, src.oid);
  if (cs || src.size !== undefined) {
    exts.push(EXT.file);
    if (cs) asset['file:checksum'] = cs;
    if (src.size !== undefined) asset['file:size'] = src.size;
  }
  const links: StacLink[] = [
    { rel: 'self', href: o.selfHref, type: 'application/json' },
    { rel: 'root', href: o.rootHref, type: 'application/json' },
    { rel: 'parent', href: o.collectionHref, type: 'application/json' },
    { rel: 'collection', href: o.collectionHref, type: 'application/json' },
  ];
  if (src.version) {
    exts.push(EXT.version);
    props.version = src.version;
    props.deprecated = false;
    if (o.predecessorHref && src.predecessor) links.push({ rel: 'predecessor-version', href: o.predecessorHref, type: 'application/json', title: `revision ${src.predecessor}` });
  }
  props['geodvc:path'] = src.path;
  if (src.oid) props['geodvc:oid'] = src.oid;
  return {
    type: 'Feature',
    stac_version: STAC_VERSION,
    stac_extensions: [...new Set(exts)].sort(),
    id: itemId(src.path),
    collection: o.collectionId,
    geometry: fp.parts && fp.parts.length > 1 ? { type: 'MultiPolygon', coordinates: fp.parts.map((r) => [r]) } : { type: 'Polygon', coordinates: [fp.ring] },
    bbox: fp.bbox,
    properties: props,
    links,
    assets: { data: asset },
  };
}

export function buildCollection(items: Json[], o: { id: string; description: string; selfHref: string; rootHref: string; itemHrefs: string[]; version?: string }): Json {
  let b: number[] | undefined;
  let t0: string | undefined, t1: string | undefined;
  for (const it of items) {
    let ib = it.bbox as number[];
    // an item across the antimeridian (west > east): the union spans every longitude
    if (ib[0]! > ib[2]!) ib = [-180, ib[1]!, 180, ib[3]!];
    b = b ? [Math.min(b[0]!, ib[0]!), Math.min(b[1]!, ib[1]!), Math.max(b[2]!, ib[2]!), Math.max(b[3]!, ib[3]!)] : ib.slice();
    const p = it.properties as Json;
    for (const v of [p.datetime, p.start_datetime, p.end_datetime]) if (typeof v === 'string') { if (!t0 || v < t0) t0 = v; if (!t1 || v > t1) t1 = v; }
  }
  const c: Json = {
    type: 'Collection', stac_version: STAC_VERSION, stac_extensions: [], id: o.id, description: o.description, license: 'other',
    extent: { spatial: { bbox: [b ?? [-180, -90, 180, 90]] }, temporal: { interval: [[t0 ?? null, t1 ?? null]] } },
    links: [
      { rel: 'self', href: o.selfHref, type: 'application/json' },
      { rel: 'root', href: o.rootHref, type: 'application/json' },
      { rel: 'parent', href: o.rootHref, type: 'application/json' },
      ...o.itemHrefs.map((h) => ({ rel: 'item', href: h, type: 'application/geo+json' })),
    ],
  };
  if (o.version) c['geodvc:version'] = o.version;
  return c;
}

export function buildCatalog(o: { id: string; description: string; selfHref: string; childHref: string }): Json {
  return {
    type: 'Catalog', stac_version: STAC_VERSION, stac_extensions: [], id: o.id, description: o.description,
    links: [
      { rel: 'self', href: o.selfHref, type: 'application/json' },
      { rel: 'root', href: o.selfHref, type: 'application/json' },
      { rel: 'child', href: o.childHref, type: 'application/json' },
    ],
  };
}
