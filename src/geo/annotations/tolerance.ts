/**
 * Tolerances: `0.5` or `0.5m` (metres, also `cm`, `mm`, `km`), `1e-6deg` (degrees), `0.5u` (units
 * of the data's own CRS, for data without a CRS or when metres make no sense), `0.5px` (pixels,
 * for image-space labels: COCO, Pascal VOC).
 */
import { UsageError } from '../../lib/errors.js';

/** Default tolerance: 0.1 m, coarser than 6-decimal-degree rounding (≤ 0.056 m) and than
 *  centimetre digitising noise, finer than any boundary edit worth retraining for. */
export const DEFAULT_TOLERANCE = '0.1m';

export type ToleranceUnit = 'm' | 'deg' | 'units' | 'px';

/** Default tolerance of image-space labels (COCO, VOC): half a pixel, below any visible edit. */
export const DEFAULT_PIXEL_TOLERANCE = '0.5px';

export interface Tolerance {
  value: number;
  unit: ToleranceUnit;
  /** Canonical text, used inside fingerprints: `0.1m`, `1e-6deg`, `0.5u`. */
  text: string;
}

const UNIT_SCALE: Record<string, [ToleranceUnit, number]> = {
  '': ['m', 1], m: ['m', 1], cm: ['m', 0.01], mm: ['m', 0.001], km: ['m', 1000],
  deg: ['deg', 1], '°': ['deg', 1], u: ['units', 1], unit: ['units', 1], units: ['units', 1],
  px: ['px', 1], pixel: ['px', 1], pixels: ['px', 1],
};

export function parseTolerance(input: string | number | undefined): Tolerance {
  const raw = input === undefined ? DEFAULT_TOLERANCE : String(input).trim();
  const m = /^([0-9]*\.?[0-9]+(?:e[-+]?[0-9]+)?)\s*([a-z°]*)$/i.exec(raw);
  const scale = m ? UNIT_SCALE[m[2]!.toLowerCase()] : undefined;
  const value = m ? Number(m[1]) * (scale?.[1] ?? 1) : NaN;
  if (!m || !scale || !Number.isFinite(value) || value <= 0) {
    throw new UsageError(`invalid tolerance '${raw}'`, { hint: 'give a positive number with an optional unit: 0.5 or 0.5m (metres), 50cm, 1e-6deg, 2u (units of the data CRS), 0.5px (pixels, COCO/VOC)' });
  }
  const unit = scale[0];
  const text = `${Number(value.toPrecision(12))}${unit === 'm' ? 'm' : unit === 'deg' ? 'deg' : unit === 'px' ? 'px' : 'u'}`;
  return { value, unit, text };
}

/** The tolerance for geographic labels: `t` unless it is in pixels (then the default). */
export function geoTolerance(t: Tolerance): Tolerance {
  return t.unit === 'px' ? parseTolerance(undefined) : t;
}

/** The tolerance for image-space labels: `t` in pixels (a bare number and CRS units count as pixels), else 0.5px. */
export function pixelTolerance(input: string | number | undefined): Tolerance {
  if (input === undefined || input === '') return parseTolerance(DEFAULT_PIXEL_TOLERANCE);
  // a bare number is pixels here (metres only make sense for geographic labels)
  if (/^\s*[0-9]*\.?[0-9]+(e[-+]?[0-9]+)?\s*$/i.test(String(input))) return parseTolerance(`${String(input).trim()}px`);
  const t = parseTolerance(input);
  if (t.unit === 'px') return t;
  if (t.unit === 'units') return parseTolerance(`${t.value}px`);
  return parseTolerance(DEFAULT_PIXEL_TOLERANCE);
}
