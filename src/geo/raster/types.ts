/**
 * Raster metadata, shaped after `gdalinfo -json` (same field names where GDAL has them), plus a
 * few flat convenience fields (`compression`, `overviewCount`, `epsg`) that GDAL keeps in nested
 * places.
 */
export interface CoordinateSystem {
  /** WKT of the CRS: the EPSG WKT1 from epsg-index when there is a code, else a WKT1 we build. */
  wkt?: string;
  /** EPSG code, only when the CRS itself is an EPSG CRS (GDAL's rule). */
  epsg?: number;
  /** proj4 definition for proj4js (grids stripped), when known. */
  proj4?: string;
  /** CRS name (from the EPSG index, a citation key or the WKT). */
  name?: string;
  /** The GeoTIFF keys of a CRS without an EPSG code (user-defined), for comparisons. */
  geoKeys?: Record<string, number | string | number[]>;
  /** PROJJSON when it came from gdal3.js (formats other than GeoTIFF/VRT). */
  projjson?: unknown;
}

export interface BandInfo {
  band: number;
  block: [number, number];
  type: string;
  colorInterpretation?: string;
  /** A number, or the string 'NaN' / 'Infinity' / '-Infinity' as gdalinfo -json writes them. */
  noDataValue?: number | string;
  description?: string;
  offset?: number;
  scale?: number;
  unit?: string;
  overviews?: { size: [number, number] }[];
  metadata?: Record<string, Record<string, string>>;
}

export interface Gcp {
  id: string;
  info: string;
  pixel: number;
  line: number;
  x: number;
  y: number;
  z: number;
}

export interface RasterInfo {
  description: string;
  driverShortName: string;
  driverLongName: string;
  files: string[];
  size: [number, number];
  coordinateSystem?: CoordinateSystem;
  geoTransform?: number[];
  gcps?: { coordinateSystem?: CoordinateSystem; gcpList: Gcp[] };
  metadata: Record<string, Record<string, string>>;
  bands: BandInfo[];
  /** GDAL's IMAGE_STRUCTURE COMPRESSION name; 'NONE' for uncompressed TIFF; undefined for VRT. */
  compression?: string;
  /** Overviews of band 1 (internal IFDs, SubIFDs and a `.ovr` sidecar). */
  overviewCount: number;
  /** EPSG code of the dataset CRS (shortcut of coordinateSystem.epsg). */
  epsg?: number;
  /** 'Area' or 'Point' (AREA_OR_POINT), when the file says. */
  areaOrPoint?: 'Area' | 'Point';
  tiled?: boolean;
  bigTiff?: boolean;
  byteOrder?: 'little' | 'big';
  interleave?: 'PIXEL' | 'BAND';
  hasRpc: boolean;
  /** Problems noticed while reading the header (GDAL warnings, ignored tags). */
  warnings: string[];
  /** gdalinfo's corner coordinates (set by `geo info`; not part of `add` metadata). */
  cornerCoordinates?: { upperLeft: [number, number]; lowerLeft: [number, number]; lowerRight: [number, number]; upperRight: [number, number]; center: [number, number] };
}
