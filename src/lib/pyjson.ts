/**
 * Python's `json.dumps(obj, sort_keys=True)` with its defaults (separators ", " and ": ",
 * ensure_ascii=True), which DVC uses for `.dir` manifests and for stage/run-cache hashes.
 * Keys are sorted by Unicode code point, as Python compares str.
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.codePointAt(i)!;
    const cb = b.codePointAt(i)!;
    if (ca !== cb) return ca < cb ? -1 : 1;
    if (ca > 0xffff) i++;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

export function pyJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    switch (c) {
      case 0x22: out += '\\"'; break;
      case 0x5c: out += '\\\\'; break;
      case 0x0a: out += '\\n'; break;
      case 0x0d: out += '\\r'; break;
      case 0x09: out += '\\t'; break;
      case 0x08: out += '\\b'; break;
      case 0x0c: out += '\\f'; break;
      default:
        if (c < 0x20 || c > 0x7e) out += '\\u' + c.toString(16).padStart(4, '0');
        else out += s[i];
    }
  }
  return out + '"';
}

function pyFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return n.toFixed(1);
  // Python repr of floats: shortest round-trip, exponent form e+XX for large/small.
  let s = String(n);
  if (s.includes('e')) {
    const [m, e] = s.split('e');
    const exp = Number(e);
    s = `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return s;
}

/** A number that must be printed as a Python float even when integral (e.g. YAML `1.0`). */
export class PyFloat {
  constructor(readonly value: number) {}
}

export function pyJsonDumps(value: unknown, sortKeys = true): string {
  if (value === null || value === undefined) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (value instanceof PyFloat) return pyFloat(value.value);
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pyFloat(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return pyJsonString(value);
  if (Array.isArray(value)) return '[' + value.map((v) => pyJsonDumps(v, sortKeys)).join(', ') + ']';
  if (typeof value === 'object') {
    let keys = Object.keys(value as object);
    if (sortKeys) keys = keys.sort(compareCodePoints);
    return '{' + keys.map((k) => `${pyJsonString(k)}: ${pyJsonDumps((value as Record<string, unknown>)[k], sortKeys)}`).join(', ') + '}';
  }
  throw new TypeError(`cannot serialize ${typeof value}`);
}
