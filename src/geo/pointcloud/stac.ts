/**
 * STAC pointcloud extension fields (v1.0: pc:count, pc:type, pc:encoding, pc:schemas, pc:density)
 * and projection fields of a point cloud, from the compact `meta` of `add` (header only).
 */

/** The pointcloud extension's schema URL. */
export const PC_EXT = 'https://stac-extensions.github.io/pointcloud/v1.0.0/schema.json';

type Dim = { name: string; size: number; type: 'floating' | 'unsigned' | 'signed' };

/** The dimensions of a LAS point data record format (LAS 1.4 R15), as stored (scaled integers for X/Y/Z). */
export function lasDimensions(format: number, recordLength?: number): Dim[] {
  const d: Dim[] = [{ name: 'X', size: 4, type: 'signed' }, { name: 'Y', size: 4, type: 'signed' }, { name: 'Z', size: 4, type: 'signed' }, { name: 'Intensity', size: 2, type: 'unsigned' }];
  let base: number;
  if (format < 6) {
    d.push({ name: 'ReturnNumber', size: 1, type: 'unsigned' }, { name: 'NumberOfReturns', size: 1, type: 'unsigned' }, { name: 'ScanDirectionFlag', size: 1, type: 'unsigned' }, { name: 'EdgeOfFlightLine', size: 1, type: 'unsigned' },
      { name: 'Classification', size: 1, type: 'unsigned' }, { name: 'ScanAngleRank', size: 1, type: 'signed' }, { name: 'UserData', size: 1, type: 'unsigned' }, { name: 'PointSourceId', size: 2, type: 'unsigned' });
    if (format === 1 || format === 3 || format === 4 || format === 5) d.push({ name: 'GpsTime', size: 8, type: 'floating' });
    if (format === 2 || format === 3 || format === 5) d.push({ name: 'Red', size: 2, type: 'unsigned' }, { name: 'Green', size: 2, type: 'unsigned' }, { name: 'Blue', size: 2, type: 'unsigned' });
    base = [20, 28, 26, 34, 57, 63][format]!;
  } else {
    d.push({ name: 'ReturnNumber', size: 1, type: 'unsigned' }, { name: 'NumberOfReturns', size: 1, type: 'unsigned' }, { name: 'ClassFlags', size: 1, type: 'unsigned' }, { name: 'ScannerChannel', size: 1, type: 'unsigned' },
      { name: 'ScanDirectionFlag', size: 1, type: 'unsigned' }, { name: 'EdgeOfFlightLine', size: 1, type: 'unsigned' }, { name: 'Classification', size: 1, type: 'unsigned' }, { name: 'UserData', size: 1, type: 'unsigned' },
      { name: 'ScanAngle', size: 2, type: 'signed' }, { name: 'PointSourceId', size: 2, type: 'unsigned' }, { name: 'GpsTime', size: 8, type: 'floating' });
    if (format === 7 || format === 8 || format === 10) d.push({ name: 'Red', size: 2, type: 'unsigned' }, { name: 'Green', size: 2, type: 'unsigned' }, { name: 'Blue', size: 2, type: 'unsigned' });
    if (format === 8 || format === 10) d.push({ name: 'Infrared', size: 2, type: 'unsigned' });
    base = [30, 36, 38, 59, 67][format - 6]!;
  }
  if (format === 4 || format === 5 || format === 9 || format === 10) {
    d.push({ name: 'WavePacketDescriptorIndex', size: 1, type: 'unsigned' }, { name: 'ByteOffsetToWaveformData', size: 8, type: 'unsigned' }, { name: 'WaveformPacketSize', size: 4, type: 'unsigned' },
      { name: 'ReturnPointWaveformLocation', size: 4, type: 'floating' }, { name: 'Xt', size: 4, type: 'floating' }, { name: 'Yt', size: 4, type: 'floating' }, { name: 'Zt', size: 4, type: 'floating' });
  }
  if (recordLength !== undefined && recordLength > base) d.push({ name: 'ExtraBytes', size: recordLength - base, type: 'unsigned' });
  return d;
}

/** Item properties of a point cloud `meta`: pc:* and proj:* (code, bbox). */
export function pointCloudStacProperties(meta: Record<string, unknown>): Record<string, unknown> {
  const b = meta.bounds as number[] | undefined;
  const count = Number(meta.points ?? 0);
  const props: Record<string, unknown> = {
    'pc:count': count,
    'pc:type': 'lidar',
    'pc:encoding': meta.driver === 'COPC' ? 'COPC' : meta.driver === 'LAZ' ? 'LASzip' : 'LAS',
    'pc:schemas': lasDimensions(Number(meta.point_format ?? 0), meta.point_record_length as number | undefined),
  };
  if (b && b.length === 6) {
    const area = (b[3]! - b[0]!) * (b[4]! - b[1]!);
    if (area > 0) props['pc:density'] = count / area;
    props['proj:bbox'] = [b[0], b[1], b[2], b[3], b[4], b[5]];
  }
  props['proj:code'] = typeof meta.crs === 'string' && /^EPSG:\d+$/i.test(meta.crs) ? meta.crs.toUpperCase() : null;
  return props;
}

/** The header bounds' corners [x, y] (counter-clockwise) for a footprint. */
export function pointCloudCorners(meta: Record<string, unknown>): [number, number][] | undefined {
  const b = meta.bounds as number[] | undefined;
  if (!b || b.length !== 6 || !b.every(Number.isFinite)) return undefined;
  return [[b[0]!, b[1]!], [b[3]!, b[1]!], [b[3]!, b[4]!], [b[0]!, b[4]!]];
}
