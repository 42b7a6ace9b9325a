/**
 * Tolerances: `0.5` or `0.5m` (metres, also `cm`, `mm`, `km`), `1e-6deg` (degrees), `0.5u` (units
 * of the data's own CRS, for data without a CRS or when metres make no sense).
 */
import { UsageError } from '../../lib/errors.js';

/** Default tolerance: 0.1 m, coarser than 6-decimal-degree rounding (≤ 0.056 m) and than
 *  centimetre digitising noise, finer than any boundary edit worth retraining for. */
export const DEFAULT_TOLERANCE = '0.1m';

export type ToleranceUnit = 'm' | 'deg' | 'units';

export interface Tolerance {
  value: number;
  unit: ToleranceUnit;
  /** Canonical text, used inside fingerprints: `0.1m`, `1e-6deg`, `0.5u`. */
  text: string;
}

const UNIT_SCALE: Record<string, [ToleranceUnit, number]> = {
  '': ['m', 1], m: ['m', 1], cm: ['m', 0.01], mm: ['m', 0.001], km: ['m', 1000],
  deg: ['deg', 1], '°': ['deg', 1], u: ['units', 1], unit: ['units', 1], units: ['units', 1],
};

export function parseTolerance(input: string | number | undefined): Tolerance {
  const raw = input === undefined ? DEFAULT_TOLERANCE : String(input).trim();
  const m = /^([0-9]*\.?[0-9]+(?:e[-+]?[0-9]+)?)\s*([a-z°]*)$/i.exec(raw);
  const scale = m ? UNIT_SCALE[m[2]!.toLowerCase()] : undefined;
  const value = m ? Number(m[1]) * (scale?.[1] ?? 1) : NaN;
  if (!m || !scale || !Number.isFinite(value) || value <= 0) {
    throw new UsageError(`invalid tolerance '${raw}'`, { hint: 'give a positive number with an optional unit: 0.5 or 0.5m (metres), 50cm, 1e-6deg, 2u (units of the data CRS)' });
  }
  const unit = scale[0];
  const text = `${Number(value.toPrecision(12))}${unit === 'm' ? 'm' : unit === 'deg' ? 'deg' : 'u'}`;
  return { value, unit, text };
}
