/**
 * GeoTIFF / BigTIFF / COG metadata from the raw tags, following GDAL 3.6's GTiff driver rules
 * (reference/geo-libs.md §1.2): geotransform from ModelTransformation or tiepoint+scale (negative
 * ScaleY treated as north-up, PixelIsPoint shifted by half a pixel), nodata rounded to float32 for
 * Float32 bands, libtiff's single-strip chopping for block sizes, overviews from reduced-resolution
 * IFDs, SubIFDs and a `.ovr` sidecar, EPSG only when the keys name an EPSG CRS that the units agree
 * with.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { Tag, TiffFile, TiffFormatError, type TiffIfd } from './tiff.js';
import type { BandInfo, CoordinateSystem, Gcp, RasterInfo } from './types.js';
import { epsgDef, LINEAR_UNITS } from '../crs/epsg.js';
import { parseGeoKeys, type GeoKeys } from './geokeys.js';
import { xmlStructureProblem } from './xml-guard.js';
import { layoutWarnings } from './budget.js';

export const COMPRESSION_NAMES: Record<number, string> = {
  1: 'NONE', 2: 'CCITTRLE', 3: 'CCITTFAX3', 4: 'CCITTFAX4', 5: 'LZW', 6: 'OJPEG', 7: 'JPEG', 8: 'DEFLATE',
  32946: 'DEFLATE', 32773: 'PACKBITS', 32909: 'PIXARFILM', 32908: 'PIXARLOG', 34676: 'SGILOG', 34677: 'SGILOG24',
  34712: 'JP2000', 34887: 'LERC', 34925: 'LZMA', 50000: 'ZSTD', 50001: 'WEBP', 50002: 'JXL', 52546: 'JXL',
};

/** GDAL data type name from BitsPerSample and SampleFormat (GDAL 3.6 rules). */
export function gdalDataType(bits: number, sampleFormat: number): string | undefined {
  if (sampleFormat === 5) return bits === 32 ? 'CInt16' : bits === 64 ? 'CInt32' : undefined;
  if (sampleFormat === 6) return bits === 64 ? 'CFloat32' : bits === 128 ? 'CFloat64' : undefined;
  if (sampleFormat === 3) return bits === 16 || bits === 24 || bits === 32 ? 'Float32' : bits === 64 ? 'Float64' : undefined;
  // GDAL 3.6: signed only at exactly 16/32/64 bits (a 12-bit or 24-bit signed sample is unsigned
  // for GDAL), 8-bit signed is Byte (PIXELTYPE=SIGNEDBYTE), 33 to 63 bits cannot be read
  const signed = sampleFormat === 2;
  if (bits <= 8) return 'Byte';
  if (bits <= 16) return signed && bits === 16 ? 'Int16' : 'UInt16';
  if (bits <= 32) return signed && bits === 32 ? 'Int32' : 'UInt32';
  if (bits === 64) return signed ? 'Int64' : 'UInt64';
  return undefined;
}

/**
 * The GDAL nodata string as gdalinfo -json shows it: a number, or NaN/Infinity as strings. The value
 * is the parsed double (gdalinfo shows -3.4e+38); the stored float32 sample is `Math.fround` of it.
 */
export function parseNodata(text: string, _type: string): number | string | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  let v: number;
  if (/^[+-]?nan$/i.test(t)) return 'NaN';
  if (/^[+-]?inf(inity)?$/i.test(t)) v = t.startsWith('-') ? -Infinity : Infinity;
  else v = Number(t);
  if (Number.isNaN(v)) {
    const f = parseFloat(t);
    if (Number.isNaN(f)) return undefined;
    v = f;
  }
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return v;
}

function isOverviewIfd(t: TiffFile, ifd: TiffIfd): boolean {
  const nst = t.value(ifd, Tag.NewSubfileType) ?? 0;
  return (nst & 1) === 1 && (nst & 4) === 0;
}

function isMaskIfd(t: TiffFile, ifd: TiffIfd): boolean {
  const nst = t.value(ifd, Tag.NewSubfileType) ?? 0;
  return (nst & 4) === 4;
}

/** Block size as GDAL reports it (tiles, or strips after libtiff's single-strip chopping). */
function blockSize(t: TiffFile, ifd: TiffIfd, width: number, height: number, spp: number, bits: number, compression: number, planar: number): [number, number] {
  const tw = t.value(ifd, Tag.TileWidth);
  const th = t.value(ifd, Tag.TileLength);
  if (tw !== undefined && th !== undefined && ifd.entries.has(Tag.TileOffsets)) return [tw, th];
  let rps = t.value(ifd, Tag.RowsPerStrip) ?? height;
  if (!(rps > 0) || rps > height) rps = height;
  const nstrips = ifd.entries.get(Tag.StripOffsets)?.count ?? 0;
  const STRIP_SIZE_DEFAULT = 8192;
  if (nstrips === 1 && compression === 1) {
    const sub = t.values(ifd.entries.get(Tag.YCbCrSubSampling) ?? { tag: 0, type: 3, count: 0, valueOffset: 0, entryOffset: 0, outOfFile: true }, 2);
    const photometric = t.value(ifd, Tag.Photometric) ?? 1;
    const rowblock = photometric === 6 && sub.length === 2 ? sub[1]! : 1;
    const samples = planar === 2 ? 1 : spp;
    const scanline = Math.ceil((width * samples * bits) / 8);
    const rowblockbytes = scanline * rowblock;
    let rows = rps;
    if (rowblockbytes > STRIP_SIZE_DEFAULT) rows = rowblock;
    else if (rowblockbytes > 0) rows = Math.floor(STRIP_SIZE_DEFAULT / rowblockbytes) * rowblock;
    if (rows > 0 && rows < rps) rps = rows;
  } else if (nstrips === 1 && bits === 1 && rps === height && height > 2000) {
    // GDAL reads big single-strip compressed bitmaps line by line ("split bitmap").
    rps = 1;
  }
  return [width, rps];
}

const COLOR_INTERP_RGB = ['Red', 'Green', 'Blue'];

function colorInterpretations(t: TiffFile, ifd: TiffIfd, spp: number, compression: number): string[] {
  const photometric = t.value(ifd, Tag.Photometric);
  const extra = ifd.entries.has(Tag.ExtraSamples) ? t.values(ifd.entries.get(Tag.ExtraSamples)!, 64) : [];
  const out: string[] = [];
  for (let i = 0; i < spp; i++) {
    let ci = 'Undefined';
    if (photometric === 2 || (photometric === 6 && compression === 7)) ci = i < 3 ? COLOR_INTERP_RGB[i]! : 'Undefined';
    else if (photometric === 6) ci = i < 3 ? ['YCbCr_Y', 'YCbCr_Cb', 'YCbCr_Cr'][i]! : 'Undefined';
    else if (photometric === 5) ci = i < 4 ? ['Cyan', 'Magenta', 'Yellow', 'Black'][i]! : 'Undefined';
    else if (photometric === 3) ci = i === 0 ? 'Palette' : 'Undefined';
    else if (photometric === 0 || photometric === 1 || photometric === undefined) ci = i === 0 ? 'Gray' : 'Undefined';
    const base = photometric === 2 || photometric === 6 ? 3 : photometric === 5 ? 4 : 1;
    if (i >= base) {
      const es = extra[i - base];
      if (es === 1 || es === 2) ci = 'Alpha';
    }
    out.push(ci);
  }
  return out;
}

function fmtNum(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(15)));
}

const RPC_NAMES = ['ERR_BIAS', 'ERR_RAND', 'LINE_OFF', 'SAMP_OFF', 'LAT_OFF', 'LONG_OFF', 'HEIGHT_OFF', 'LINE_SCALE', 'SAMP_SCALE', 'LAT_SCALE', 'LONG_SCALE', 'HEIGHT_SCALE'];

function decodeXmlEntities(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&#(\d+);/g, (_m, d) => String.fromCharCode(Number(d))).replace(/&amp;/g, '&');
}

/** Parses the GDAL_METADATA XML tag: dataset items per domain, band items per sample. */
export function parseGdalMetadataXml(xml: string): { dataset: Record<string, Record<string, string>>; bands: Map<number, { metadata: Record<string, Record<string, string>>; roles: Record<string, string> }> } {
  const dataset: Record<string, Record<string, string>> = {};
  const bands = new Map<number, { metadata: Record<string, Record<string, string>>; roles: Record<string, string> }>();
  const re = /<Item\s+([^>]*?)(?:\/>|>([\s\S]*?)<\/Item>)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(xml))) {
    const attrs: Record<string, string> = {};
    for (const a of m[1]!.matchAll(/(\w+)\s*=\s*"([^"]*)"/g)) attrs[a[1]!] = decodeXmlEntities(a[2]!);
    const value = decodeXmlEntities(m[2] ?? '');
    const name = attrs.name;
    if (name === undefined) continue;
    const domain = attrs.domain ?? '';
    if (attrs.sample !== undefined) {
      const s = Number(attrs.sample);
      let b = bands.get(s);
      if (!b) { b = { metadata: {}, roles: {} }; bands.set(s, b); }
      if (attrs.role) b.roles[attrs.role] = value;
      else (b.metadata[domain] ??= {})[name] = value;
    } else if (!attrs.role) {
      (dataset[domain] ??= {})[name] = value;
    }
  }
  return { dataset, bands };
}

function overviewSizes(t: TiffFile, ifds: TiffIfd[], mainSpp: number): { size: [number, number] }[] {
  const out: { size: [number, number] }[] = [];
  for (const ifd of ifds) {
    if (!isOverviewIfd(t, ifd)) continue;
    const spp = t.value(ifd, Tag.SamplesPerPixel) ?? 1;
    if (spp !== mainSpp) continue;
    const w = t.value(ifd, Tag.ImageWidth);
    const h = t.value(ifd, Tag.ImageLength);
    if (w === undefined || h === undefined) continue;
    out.push({ size: [w, h] });
  }
  return out;
}

/** CRS from GeoKeys with GDAL's EPSG rules; `forGcps` when the keys describe GCP coordinates. */
function crsFromKeys(keys: GeoKeys, warnings: string[]): CoordinateSystem | undefined {
  const modelType = keys.num(1024);
  const pcs = keys.num(3072);
  const gcs = keys.num(2048);
  const citation = keys.str(1026) ?? keys.str(3073) ?? keys.str(2049);
  let epsg: number | undefined;
  if ((modelType === 1 || (modelType === undefined && pcs !== undefined)) && pcs !== undefined && pcs > 0 && pcs < 32767) epsg = pcs;
  else if ((modelType === 2 || (modelType === undefined && pcs === undefined)) && gcs !== undefined && gcs > 0 && gcs < 32767) epsg = gcs;
  if (epsg !== undefined) {
    const def = epsgDef(epsg);
    // A ProjLinearUnits key that contradicts the EPSG CRS's unit makes GDAL drop the code.
    const lin = keys.num(3076);
    if (def && modelType !== 2 && lin !== undefined && LINEAR_UNITS[lin] && def.unit && LINEAR_UNITS[lin] !== def.unit) {
      warnings.push(`ProjLinearUnitsGeoKey ${lin} (${LINEAR_UNITS[lin]}) overrides the unit of EPSG:${epsg} (${def.unit}); EPSG code dropped`);
      return { name: def.name, epsg: undefined };
    }
    if (def) return { epsg, name: def.name, wkt: def.wkt, proj4: def.proj4 || undefined };
    return { epsg, name: citation };
  }
  if (modelType === undefined && pcs === undefined && gcs === undefined && !citation) return undefined;
  const geoKeys = keys.toJSON();
  for (const k of ['GTCitationGeoKey', 'GeogCitationGeoKey', 'PCSCitationGeoKey', 'GTRasterTypeGeoKey']) delete geoKeys[k];
  return { name: citation, geoKeys };
}

/** Reads RasterInfo for a TIFF file. Throws TiffFormatError when it is not a TIFF. */
export function readGeoTiffInfo(absPath: string): RasterInfo {
  const t = TiffFile.open(absPath);
  try {
    return describe(t, absPath);
  } finally {
    t.close();
  }
}

/** RasterInfo of an already opened TiffFile (e.g. one parsed from a remote object's bytes). */
export function describeGeoTiff(t: TiffFile, label: string): RasterInfo {
  return describe(t, label);
}

/** Compression schemes the libtiff under GDAL 3.6 has a codec for (GDAL refuses to open the rest). */
const GDAL_CODECS = new Set([1, 2, 3, 4, 5, 6, 7, 8, 32946, 32773, 32766, 32809, 32909, 34661, 34676, 34677, 34887, 34925, 50000, 50001]);
const INT_MAX = 2 ** 31 - 1;

/**
 * Files GDAL 3.6's GTiff driver refuses to open, refused the same way: a compression with no codec
 * ("missing codec"), and more blocks than it can index ("Too many blocks": per band, and over all
 * bands of a planar-separate file).
 */
function refuseLikeGdal(compression: number, width: number, height: number, block: [number, number], separateBands: number): void {
  if (!GDAL_CODECS.has(compression)) {
    throw new TiffFormatError(`compression ${COMPRESSION_NAMES[compression] ?? compression} has no codec in GDAL (it refuses to open the file: missing codec of code ${compression})`);
  }
  if (width > 0 && height > 0 && block[0] > 0 && block[1] > 0) {
    const perRow = Math.ceil(width / block[0]), perCol = Math.ceil(height / block[1]);
    if (perCol > Math.floor(INT_MAX / perRow) || perRow * perCol > Math.floor(INT_MAX / Math.max(1, separateBands))) {
      throw new TiffFormatError(`too many blocks: ${perRow} x ${perCol} (${width}x${height} pixels in ${block[0]}x${block[1]} blocks); GDAL refuses to open the file`);
    }
  }
}

function describe(t: TiffFile, absPath: string): RasterInfo {
  const warnings: string[] = t.issues.map((i) => i.message);
  const ifd = t.ifds[0]!;
  const width = t.value(ifd, Tag.ImageWidth) ?? 0;
  const height = t.value(ifd, Tag.ImageLength) ?? 0;
  const spp = t.value(ifd, Tag.SamplesPerPixel) ?? 1;
  const bitsE = ifd.entries.get(Tag.BitsPerSample);
  const bits = bitsE && !bitsE.outOfFile ? t.values(bitsE, 1)[0]! : 1;
  const sampleFormat = t.value(ifd, Tag.SampleFormat) ?? 1;
  const compression = t.value(ifd, Tag.Compression) ?? 1;
  const planar = t.value(ifd, Tag.PlanarConfig) ?? 1;
  const photometric = t.value(ifd, Tag.Photometric);
  const type = gdalDataType(bits, sampleFormat) ?? `Unknown(${bits} bits, SampleFormat ${sampleFormat})`;
  const block = blockSize(t, ifd, width, height, spp, bits, compression, planar);
  if (!gdalDataType(bits, sampleFormat)) throw new TiffFormatError(`unsupported TIFF configuration: BitsPerSample ${bits} with SampleFormat ${sampleFormat} (GDAL cannot read it)`);
  refuseLikeGdal(compression, width, height, block, planar === 2 ? spp : 1);

  let compressionName = COMPRESSION_NAMES[compression] ?? `UNKNOWN(${compression})`;
  if (compression === 7 && photometric === 6) compressionName = 'YCbCr JPEG';
  if (compression === 34887) {
    const lp = ifd.entries.get(Tag.LercParameters);
    const add = lp && !lp.outOfFile ? t.values(lp, 2)[1] : 0;
    if (add === 1) compressionName = 'LERC_DEFLATE';
    else if (add === 2) compressionName = 'LERC_ZSTD';
  }

  const metadata: Record<string, Record<string, string>> = {};
  const md = (domain: string) => (metadata[domain] ??= {});
  const tiffTags: [number, string][] = [[269, 'TIFFTAG_DOCUMENTNAME'], [270, 'TIFFTAG_IMAGEDESCRIPTION'], [305, 'TIFFTAG_SOFTWARE'], [306, 'TIFFTAG_DATETIME'], [315, 'TIFFTAG_ARTIST'], [316, 'TIFFTAG_HOSTCOMPUTER'], [33432, 'TIFFTAG_COPYRIGHT']];
  for (const [tag, name] of tiffTags) {
    const s = t.asciiTag(ifd, tag);
    if (s !== undefined && s !== '') md('')[name] = s;
  }

  // GeoKeys and georeferencing.
  const gkE = ifd.entries.get(Tag.GeoKeyDirectory);
  let keys: GeoKeys | undefined;
  if (gkE && !gkE.outOfFile) {
    try { keys = parseGeoKeys(t, ifd); } catch (e) { warnings.push(`GeoKeyDirectory ignored: ${(e as Error).message}`); }
  }
  const rasterType = keys?.num(1025);
  const isPoint = rasterType === 2;
  if (keys) md('').AREA_OR_POINT = isPoint ? 'Point' : 'Area';

  let geoTransform: number[] | undefined;
  let gcps: Gcp[] | undefined;
  const scaleE = ifd.entries.get(Tag.ModelPixelScale);
  const tieE = ifd.entries.get(Tag.ModelTiepoint);
  const matE = ifd.entries.get(Tag.ModelTransformation);
  const scale = scaleE && !scaleE.outOfFile ? t.values(scaleE, 3) : undefined;
  const tie = tieE && !tieE.outOfFile ? t.values(tieE, 6 * 10000) : undefined;
  const mat = matE && !matE.outOfFile ? t.values(matE, 16) : undefined;
  if (scale && scale.length >= 2 && scale[0] !== 0 && scale[1] !== 0 && tie && tie.length >= 6) {
    const sx = scale[0]!;
    const sy = -Math.abs(scale[1]!);
    if (scale[1]! < 0) warnings.push('ModelPixelScale has a negative Y scale; treated as north-up, as GDAL does');
    geoTransform = [tie[3]! - tie[0]! * sx, sx, 0, tie[4]! - tie[1]! * sy, 0, sy];
  } else if (mat && mat.length === 16) {
    geoTransform = [mat[3]!, mat[0]!, mat[1]!, mat[7]!, mat[4]!, mat[5]!];
  } else if (tie && tie.length >= 6) {
    gcps = [];
    for (let i = 0; i + 6 <= tie.length; i += 6) gcps.push({ id: String(gcps.length + 1), info: '', pixel: tie[i]!, line: tie[i + 1]!, x: tie[i + 3]!, y: tie[i + 4]!, z: tie[i + 5]! });
  }
  if (geoTransform && isPoint) {
    geoTransform = [
      geoTransform[0]! - 0.5 * geoTransform[1]! - 0.5 * geoTransform[2]!, geoTransform[1]!, geoTransform[2]!,
      geoTransform[3]! - 0.5 * geoTransform[4]! - 0.5 * geoTransform[5]!, geoTransform[4]!, geoTransform[5]!,
    ];
  }
  if (gcps && isPoint) for (const g of gcps) { g.pixel += 0.5; g.line += 0.5; }

  const crs = keys ? crsFromKeys(keys, warnings) : undefined;

  // GDAL_METADATA / GDAL_NODATA
  const xml = t.asciiTag(ifd, Tag.GdalMetadata);
  // a malformed (or crafted) GDAL_METADATA is ignored with a warning, as GDAL does, before any regex sees it
  const xmlProblem = xml ? xmlStructureProblem(xml) : undefined;
  if (xmlProblem) warnings.push(`GDAL_METADATA ignored: ${xmlProblem.message} (offset ${xmlProblem.offset})`);
  const parsed = xml && !xmlProblem ? parseGdalMetadataXml(xml) : undefined;
  if (parsed) for (const [d, kv] of Object.entries(parsed.dataset)) Object.assign(md(d), kv);
  const nodataText = t.asciiTag(ifd, Tag.GdalNodata);
  const noData = nodataText !== undefined ? parseNodata(nodataText, type) : undefined;

  // RPC
  const rpcE = ifd.entries.get(Tag.RPCCoefficients);
  let hasRpc = false;
  if (rpcE && !rpcE.outOfFile && rpcE.count >= 92) {
    const v = t.values(rpcE, 92);
    const rpc = md('RPC');
    RPC_NAMES.forEach((n, i) => { rpc[n] = fmtNum(v[i]!); });
    const groups = ['LINE_NUM_COEFF', 'LINE_DEN_COEFF', 'SAMP_NUM_COEFF', 'SAMP_DEN_COEFF'];
    groups.forEach((g, k) => { rpc[g] = v.slice(12 + k * 20, 32 + k * 20).map(fmtNum).join(' '); });
    hasRpc = true;
  }

  const imageStructure = md('IMAGE_STRUCTURE');
  if (compression !== 1) imageStructure.COMPRESSION = compressionName;
  if (spp > 1 || planar === 2) imageStructure.INTERLEAVE = planar === 2 ? 'BAND' : 'PIXEL';
  else imageStructure.INTERLEAVE = 'BAND';
  if (spp > 1 && planar !== 2) imageStructure.INTERLEAVE = 'PIXEL';
  if (bits !== 8 && bits !== 16 && bits !== 32 && bits !== 64 && bits < 32) imageStructure.NBITS = String(bits);
  if (sampleFormat === 2 && bits === 8) imageStructure.PIXELTYPE = 'SIGNEDBYTE';
  if (t.ifds.length > 0) {
    const ghost = t.read(t.bigTiff ? 16 : 8, 200).toString('latin1');
    if (ghost.startsWith('GDAL_STRUCTURAL_METADATA_SIZE=') && /LAYOUT=COG/.test(ghost)) imageStructure.LAYOUT = 'COG';
  }
  if (Object.keys(md('')).length === 0) delete metadata[''];

  // Overviews: reduced-resolution IFDs (main chain and SubIFDs), then FILE.ovr.
  const overviews = overviewSizes(t, t.ifds.slice(1).filter((i) => i.parent === undefined || i.parent === 0), spp);
  const ovrPath = absPath + '.ovr';
  if (existsSync(ovrPath)) {
    try {
      const o = TiffFile.open(ovrPath);
      try {
        for (const oi of o.ifds) {
          if (isMaskIfd(o, oi) || oi.parent !== undefined) continue;
          const w = o.value(oi, Tag.ImageWidth);
          const h = o.value(oi, Tag.ImageLength);
          if (w !== undefined && h !== undefined) overviews.push({ size: [w, h] });
        }
      } finally { o.close(); }
    } catch (e) { warnings.push(`overview sidecar ${basename(ovrPath)} unreadable: ${(e as Error).message}`); }
  }

  const cis = colorInterpretations(t, ifd, spp, compression);
  const bands: BandInfo[] = [];
  for (let i = 0; i < spp; i++) {
    const b: BandInfo = { band: i + 1, block: [block[0], block[1]], type, colorInterpretation: cis[i] };
    if (noData !== undefined) b.noDataValue = noData;
    const pb = parsed?.bands.get(i);
    if (pb) {
      if (pb.roles.description) b.description = pb.roles.description;
      if (pb.roles.offset !== undefined) b.offset = Number(pb.roles.offset);
      if (pb.roles.scale !== undefined) b.scale = Number(pb.roles.scale);
      if (pb.roles.unittype !== undefined) b.unit = pb.roles.unittype;
      if (Object.keys(pb.metadata).length) b.metadata = pb.metadata;
    }
    if (overviews.length) b.overviews = overviews.map((o) => ({ size: [o.size[0], o.size[1]] }));
    bands.push(b);
  }

  const files = [basename(absPath)];
  if (existsSync(ovrPath)) files.push(basename(ovrPath));
  if (existsSync(absPath + '.msk')) files.push(basename(absPath) + '.msk');
  if (existsSync(absPath + '.aux.xml')) files.push(basename(absPath) + '.aux.xml');

  const info: RasterInfo = {
    description: absPath,
    driverShortName: 'GTiff',
    driverLongName: 'GeoTIFF',
    files,
    size: [width, height],
    metadata,
    bands,
    compression: compressionName,
    overviewCount: overviews.length,
    tiled: ifd.entries.has(Tag.TileWidth),
    bigTiff: t.bigTiff,
    byteOrder: t.little ? 'little' : 'big',
    interleave: imageStructure.INTERLEAVE as 'PIXEL' | 'BAND',
    hasRpc,
    warnings,
  };
  // what a decode would refuse (block over the decode budget, block table shorter than the grid): said here, refused by readers
  warnings.push(...layoutWarnings(t));
  if (gcps) {
    info.gcps = { gcpList: gcps };
    if (crs) info.gcps.coordinateSystem = crs;
  } else {
    if (crs) { info.coordinateSystem = crs; if (crs.epsg !== undefined) info.epsg = crs.epsg; }
    if (geoTransform) info.geoTransform = geoTransform;
  }
  if (keys) info.areaOrPoint = isPoint ? 'Point' : 'Area';
  return info;
}
