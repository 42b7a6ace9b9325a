/** CF time decoding ("<unit> since <reference>"), shared by the GDAL path and the header readers (no GDAL here). */
const TIME_UNIT_MS: Record<string, number> = {
  second: 1000, seconds: 1000, sec: 1000, secs: 1000, s: 1000,
  minute: 60_000, minutes: 60_000, min: 60_000, mins: 60_000,
  hour: 3_600_000, hours: 3_600_000, hr: 3_600_000, hrs: 3_600_000, h: 3_600_000,
  day: 86_400_000, days: 86_400_000, d: 86_400_000,
};

/**
 * CF time values ("<unit> since <reference>") as ISO 8601 strings, for the standard, gregorian and
 * proleptic_gregorian calendars (the others are not decoded: undefined).
 */
export function decodeCfTime(values: number[], units: string | undefined, calendar?: string): string[] | undefined {
  if (!units) return undefined;
  const m = /^\s*(\w+)\s+since\s+(.+?)\s*$/i.exec(units);
  if (!m) return undefined;
  const per = TIME_UNIT_MS[m[1]!.toLowerCase()];
  if (!per) return undefined;
  const cal = (calendar ?? 'standard').toLowerCase();
  if (!['standard', 'gregorian', 'proleptic_gregorian', ''].includes(cal)) return undefined;
  let ref = m[2]!.trim().replace(/ UTC$/i, 'Z');
  const dm = /^(-?\d{1,4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d+))?)?)?\s*(Z|[+-]\d{1,2}(?::?\d{2})?)?$/.exec(ref);
  if (!dm) return undefined;
  const pad = (s: string | undefined, n: number) => (s ?? '0').padStart(n, '0');
  let tz = dm[8] ?? 'Z';
  if (/^[+-]\d{1,2}$/.test(tz)) tz = `${tz[0]}${pad(tz.slice(1), 2)}:00`;
  ref = `${pad(dm[1], 4)}-${pad(dm[2], 2)}-${pad(dm[3], 2)}T${pad(dm[4], 2)}:${pad(dm[5], 2)}:${pad(dm[6], 2)}.${(dm[7] ?? '0').slice(0, 3).padEnd(3, '0')}${tz}`;
  const t0 = Date.parse(ref);
  if (!Number.isFinite(t0)) return undefined;
  return values.map((v) => {
    const t = t0 + v * per;
    return Number.isFinite(t) && Math.abs(t) < 8.64e15 ? new Date(Math.round(t)).toISOString() : String(v);
  });
}

