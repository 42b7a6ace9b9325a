/**
 * `${...}` interpolation as in `dvc/parsing/interpolate.py`: a value that is exactly `${x}` keeps
 * its native type; inside a longer string it is stringified (bools -> true/false, lists space
 * joined, dicts -> `--key value` flags). `\${` escapes. Expressions are `a.b[0].c`.
 */
import { PyFloat } from '../../lib/pyjson.js';
import { AppError } from '../../lib/errors.js';
import { pyFloatRepr } from './lock.js';

export const INTERP_RE = /(?<!\\)\$\{(.*?)\}/g;

export class InterpolationError extends AppError {
  constructor(message: string, hint: string) { super('interpolation', message, 1, { hint }); }
}

export type Context = Record<string, unknown>;

export function hasInterpolation(s: string): boolean {
  INTERP_RE.lastIndex = 0;
  return INTERP_RE.test(s);
}

/** Looks up `a.b[0].c` in the context. */
export function lookup(ctx: Context, expr: string, where: string): unknown {
  const e = expr.trim();
  if (!e) throw new InterpolationError(`${where}: empty interpolation '\${}'`, 'write a variable name inside ${...}');
  const parts: (string | number)[] = [];
  for (const seg of e.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(seg);
    if (!m) throw new InterpolationError(`${where}: cannot parse '\${${expr}}'`, 'use keys and list indices: ${a.b[0].c}');
    if (m[1]) parts.push(m[1]);
    for (const idx of (m[2] ?? '').matchAll(/\[(\d+)\]/g)) parts.push(Number(idx[1]));
  }
  let cur: unknown = ctx;
  for (const [i, p] of parts.entries()) {
    if (typeof p === 'number' && Array.isArray(cur) && p < cur.length) cur = cur[p];
    else if (typeof p === 'string' && cur && typeof cur === 'object' && !Array.isArray(cur) && Object.hasOwn(cur, p)) cur = (cur as Context)[p];
    else {
      throw new InterpolationError(`${where}: could not find '${parts.slice(0, i + 1).join('.')}' for '\${${expr}}'`,
        'define it in params.yaml, in `vars`, or check the spelling');
    }
  }
  return cur;
}

/** Python-ish `str()` of a value inside a string, DVC's `to_str`. */
export function toStr(v: unknown, where = ''): string {
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (v === null || v === undefined) return 'None';
  if (v instanceof PyFloat) return pyFloatRepr(v.value);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : pyFloatRepr(v);
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map((x) => toStr(x, where)).join(' ');
  if (typeof v === 'object') {
    // dict -> CLI flags: --key value, bools as --flag/--no-flag, lists as --k a b
    const parts: string[] = [];
    for (const [k, x] of Object.entries(v as Context)) {
      if (x === true) parts.push(`--${k}`);
      else if (x === false) parts.push(`--no-${k}`);
      else if (x === null || x === undefined) continue;
      else if (typeof x === 'object' && !Array.isArray(x) && !(x instanceof PyFloat)) {
        throw new InterpolationError(`${where}: cannot interpolate nested mapping '${k}' into a string`, 'interpolate its keys one by one');
      } else parts.push(`--${k} ${toStr(x, where)}`);
    }
    return parts.join(' ');
  }
  return String(v);
}

/** Resolves one string. */
export function interpolateString(s: string, ctx: Context, where: string): unknown {
  if (!s.includes('${')) return s;
  const whole = /^\$\{(.*?)\}$/.exec(s);
  const wholeExpr = whole?.[1];
  if (wholeExpr !== undefined && !wholeExpr.includes('${')) return lookup(ctx, wholeExpr, where);
  INTERP_RE.lastIndex = 0;
  const out = s.replace(INTERP_RE, (_m, inner: string) => toStr(lookup(ctx, inner, where), where));
  return out.replace(/\\\$\{/g, '${');
}

/** Resolves strings in a value tree, keys included. */
export function interpolateTree(v: unknown, ctx: Context, where: string): unknown {
  if (typeof v === 'string') return interpolateString(v, ctx, where);
  if (Array.isArray(v)) return v.map((x) => interpolateTree(x, ctx, where));
  if (v && typeof v === 'object' && !(v instanceof PyFloat)) {
    const out: Context = {};
    for (const [k, x] of Object.entries(v as Context)) {
      const key = k.includes('${') ? toStr(interpolateString(k, ctx, where), where) : k;
      out[key] = interpolateTree(x, ctx, where);
    }
    return out;
  }
  return v;
}
