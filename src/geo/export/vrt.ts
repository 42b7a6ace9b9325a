/**
 * GDAL VRT writer: pure, data in, XML text out. Mosaic (every band of every source) or
 * `separate` stack (band 1 of each source becomes one band, in the given order). The grid follows
 * gdalbuildvrt's rules: the union extent, resolution highest/lowest/average/user, size rounded
 * with `floor(0.5 + extent / res)`.
 */
export type GeoTransform6 = [number, number, number, number, number, number];

export interface VrtSourceBand { dataType: string; nodata?: number }
export interface VrtSource {
  /** Path as written in the VRT (relative to the VRT when `relativeToVRT`). */
  path: string;
  relativeToVRT: boolean;
  width: number;
  height: number;
  geoTransform: GeoTransform6;
  bands: VrtSourceBand[];
}
export type VrtResolution = 'highest' | 'lowest' | 'average' | 'user';
export interface VrtOptions {
  separate?: boolean;
  resolution?: VrtResolution;
  /** Pixel size for `resolution: 'user'`: [xRes, yRes] (positive). */
  res?: [number, number];
  /** CRS of every source, as WKT. */
  wkt: string;
}
export interface VrtGrid { width: number; height: number; geoTransform: GeoTransform6 }

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** Shortest text that round-trips the double (what GDAL's %.18g would parse back to). */
const num = (x: number) => (Object.is(x, -0) ? '0' : String(x));

function extent(s: VrtSource): [number, number, number, number] {
  const [x0, rx, , y0, , ry] = s.geoTransform;
  const x1 = x0 + s.width * rx;
  const y1 = y0 + s.height * ry;
  return [Math.min(x0, x1), Math.min(y0, y1), Math.max(x0, x1), Math.max(y0, y1)];
}

/** The output grid gdalbuildvrt would choose for these sources. */
export function vrtGrid(sources: VrtSource[], opts: Pick<VrtOptions, 'resolution' | 'res'> = {}): VrtGrid {
  if (!sources.length) throw new Error('vrtGrid: no sources');
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  const rxs: number[] = [], rys: number[] = [];
  for (const s of sources) {
    if (s.geoTransform[2] !== 0 || s.geoTransform[4] !== 0) throw new Error(`rotated geotransform not supported in a VRT mosaic: ${s.path}`);
    const e = extent(s);
    minX = Math.min(minX, e[0]); minY = Math.min(minY, e[1]); maxX = Math.max(maxX, e[2]); maxY = Math.max(maxY, e[3]);
    rxs.push(Math.abs(s.geoTransform[1])); rys.push(Math.abs(s.geoTransform[5]));
  }
  const mode = opts.resolution ?? 'average';
  let rx: number, ry: number;
  if (mode === 'user') {
    if (!opts.res) throw new Error('vrtGrid: resolution user needs res');
    [rx, ry] = opts.res;
  } else if (mode === 'highest') { rx = Math.min(...rxs); ry = Math.min(...rys); }
  else if (mode === 'lowest') { rx = Math.max(...rxs); ry = Math.max(...rys); }
  else { rx = rxs.reduce((a, b) => a + b, 0) / rxs.length; ry = rys.reduce((a, b) => a + b, 0) / rys.length; }
  const width = Math.floor(0.5 + (maxX - minX) / rx);
  const height = Math.floor(0.5 + (maxY - minY) / ry);
  return { width, height, geoTransform: [minX, rx, 0, maxY, 0, -ry] };
}

function sourceXml(s: VrtSource, band: number, grid: VrtGrid, nodata: number | undefined): string {
  const [gx, rx, , gy, , ry] = grid.geoTransform;
  const e = extent(s);
  const dx = (e[0] - gx) / rx;
  const dy = (gy - e[3]) / -ry;
  const dw = (e[2] - e[0]) / rx;
  const dh = (e[3] - e[1]) / -ry;
  const tag = nodata !== undefined ? 'ComplexSource' : 'SimpleSource';
  return `<${tag}><SourceFilename relativeToVRT="${s.relativeToVRT ? 1 : 0}">${esc(s.path)}</SourceFilename><SourceBand>${band}</SourceBand>`
    + `<SrcRect xOff="0" yOff="0" xSize="${s.width}" ySize="${s.height}"/>`
    + `<DstRect xOff="${num(dx)}" yOff="${num(dy)}" xSize="${num(dw)}" ySize="${num(dh)}"/>`
    + (nodata !== undefined ? `<NODATA>${nodataText(nodata)}</NODATA>` : '')
    + `</${tag}>`;
}

const nodataText = (v: number) => (Number.isNaN(v) ? 'nan' : num(v));

/** Builds the VRT XML. Throws on mixed band counts (mosaic) or an empty list. */
export function buildVrt(sources: VrtSource[], opts: VrtOptions): { xml: string; grid: VrtGrid } {
  const grid = vrtGrid(sources, opts);
  const lines: string[] = [];
  lines.push(`<VRTDataset rasterXSize="${grid.width}" rasterYSize="${grid.height}">`);
  if (opts.wkt) lines.push(`<SRS dataAxisToSRSAxisMapping="1,2">${esc(opts.wkt)}</SRS>`);
  lines.push(`<GeoTransform>${grid.geoTransform.map(num).join(', ')}</GeoTransform>`);
  if (opts.separate) {
    sources.forEach((s, i) => {
      const b = s.bands[0]!;
      lines.push(`<VRTRasterBand dataType="${b.dataType}" band="${i + 1}">`
        + (b.nodata !== undefined ? `<NoDataValue>${nodataText(b.nodata)}</NoDataValue>` : '')
        + sourceXml(s, 1, grid, b.nodata) + '</VRTRasterBand>');
    });
  } else {
    const nb = sources[0]!.bands.length;
    for (const s of sources) {
      if (s.bands.length !== nb) throw new Error(`band count differs: ${s.path} has ${s.bands.length}, expected ${nb}`);
    }
    for (let b = 0; b < nb; b++) {
      const first = sources[0]!.bands[b]!;
      const parts = [`<VRTRasterBand dataType="${first.dataType}" band="${b + 1}">`];
      if (first.nodata !== undefined) parts.push(`<NoDataValue>${nodataText(first.nodata)}</NoDataValue>`);
      for (const s of sources) parts.push(sourceXml(s, b + 1, grid, s.bands[b]!.nodata));
      parts.push('</VRTRasterBand>');
      lines.push(parts.join(''));
    }
  }
  lines.push('</VRTDataset>');
  return { xml: lines.join('\n') + '\n', grid };
}
