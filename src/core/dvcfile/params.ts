/**
 * Params files as DVC reads them (`dvc/utils/serialize`): YAML (`.yaml`/`.yml`, YAML 1.2), JSON,
 * TOML and Python-style assignments (`.py`). Values keep the int/float distinction (an integral
 * float is a `PyFloat`) so they serialize into dvc.lock exactly as DVC writes them.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseDocument, visit, LineCounter, type Document } from 'yaml';
import { parse as parseToml } from 'smol-toml';
import { PyFloat } from '../../lib/pyjson.js';
import { InvalidFileError, AppError } from '../../lib/errors.js';

export type ParamValue = unknown;
export type ParamsTree = Record<string, ParamValue>;

/** Marks YAML scalars written as floats (`1.0`, `2e3`) that JS would turn into integers. */
function wrapIntegralFloats(doc: Document): void {
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'number' && Number.isInteger(node.value) && node.source !== undefined &&
        /^[-+]?(\d[\d_]*)?\.|[eE]/.test(String(node.source)) && !/^[-+]?0x/i.test(String(node.source))) {
        node.value = new PyFloat(node.value) as unknown as number;
      }
    },
  });
}

/** Parses YAML text into plain values; errors carry `file:line:column`. */
export function loadYaml(text: string, file: string): unknown {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false, version: '1.2' });
  const e = doc.errors[0];
  if (e) {
    const pos = lc.linePos(e.pos[0]);
    throw new InvalidFileError(`${file}:${pos.line}:${pos.col}: invalid YAML: ${e.message.split('\n')[0]}`, {
      hint: `fix the syntax at line ${pos.line}, column ${pos.col} of ${file}`,
      details: { file, line: pos.line, column: pos.col },
    });
  }
  wrapIntegralFloats(doc);
  try {
    // bounded alias expansion (hardening, issue 10): a "billion laughs" file is refused
    return doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (e) {
    const msg = String((e as Error)?.message ?? e).split('\n')[0] ?? '';
    throw new InvalidFileError(`${file}: ${/alias count/i.test(msg) ? 'too many YAML alias expansions (more than 100)' : e instanceof RangeError ? 'nesting too deep' : `invalid YAML: ${msg}`}`, {
      cause: e, hint: `fix the anchors/aliases (&name / *name) and nesting in ${file}`,
    });
  }
}

/** Python literal subset for `.py` params: numbers, strings, True/False/None, lists, tuples, dicts. */
function parsePyLiteral(src: string, file: string): unknown {
  let i = 0;
  const ws = () => { while (i < src.length && /\s/.test(src.charAt(i))) i++; };
  const fail = (): never => { throw new InvalidFileError(`${file}: unsupported Python value '${src}'`, { hint: 'params in .py files must be literals (numbers, strings, booleans, None, lists, dicts)' }); };
  const value = (): unknown => {
    ws();
    const c = src[i];
    if (c === '[' || c === '(') {
      const close = c === '[' ? ']' : ')';
      i++;
      const arr: unknown[] = [];
      ws();
      while (src[i] !== close) {
        arr.push(value()); ws();
        if (src[i] === ',') { i++; ws(); } else if (src[i] !== close) fail();
      }
      i++;
      return arr;
    }
    if (c === '{') {
      i++;
      const obj: Record<string, unknown> = {};
      ws();
      while (src[i] !== '}') {
        const k = value(); ws();
        if (src[i] !== ':') fail();
        i++;
        obj[String(k)] = value(); ws();
        if (src[i] === ',') { i++; ws(); } else if (src[i] !== '}') fail();
      }
      i++;
      return obj;
    }
    if (c === '"' || c === "'") {
      const q = c;
      i++;
      let s = '';
      while (i < src.length && src[i] !== q) {
        if (src[i] === '\\') { i++; const e = src.charAt(i); s += e === 'n' ? '\n' : e === 't' ? '\t' : e; }
        else s += src[i];
        i++;
      }
      if (src[i] !== q) fail();
      i++;
      return s;
    }
    const m = /^(True|False|None|[-+]?(?:\d[\d_]*\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?))/.exec(src.slice(i));
    if (!m) fail();
    i += m![0].length;
    const t = m![0];
    if (t === 'True') return true;
    if (t === 'False') return false;
    if (t === 'None') return null;
    const n = Number(t.replace(/_/g, ''));
    return /[.eE]/.test(t) && Number.isInteger(n) ? new PyFloat(n) : n;
  };
  const v = value();
  ws();
  if (i < src.length && !src.slice(i).trim().startsWith('#')) fail();
  return v;
}

/** Reads module-level `NAME = literal` assignments and class bodies (as nested dicts), as DVC does. */
export function loadPy(text: string, file: string): ParamsTree {
  const out: ParamsTree = {};
  const lines = text.split(/\r?\n/);
  let cls: { name: string; obj: ParamsTree } | null = null;
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n] ?? '';
    if (!line.trim() || line.trim().startsWith('#')) continue;
    // join continuation lines of brackets
    let depth = (line.match(/[[({]/g) ?? []).length - (line.match(/[\])}]/g) ?? []).length;
    while (depth > 0 && n + 1 < lines.length) {
      n++;
      line += `\n${lines[n] ?? ''}`;
      depth = (line.match(/[[({]/g) ?? []).length - (line.match(/[\])}]/g) ?? []).length;
    }
    const indented = /^\s+/.test(line);
    const classM = /^class\s+([A-Za-z_]\w*)\s*(\(.*\))?\s*:/.exec(line);
    // group 1 is not optional in the pattern
    if (classM) { cls = { name: classM[1]!, obj: {} }; out[cls.name] = cls.obj; continue; }
    if (!indented) cls = null;
    const m = /^\s*([A-Za-z_]\w*)\s*(?::\s*[^=]+)?=\s*([\s\S]+)$/.exec(line);
    if (!m) continue;
    const target = indented ? cls?.obj : out;
    if (!target) continue;
    if (indented && /^\s*def\s/.test(line)) continue;
    // both groups are required by the pattern
    try { target[m[1]!] = parsePyLiteral(m[2]!.trim(), file); } catch (e) { if (!indented) throw e; }
  }
  return out;
}

function normalizeToml(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalizeToml);
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalizeToml(x)]));
  return v;
}

/** Loads a params file by its extension. `displayName` is used in errors. */
export function parseParamsText(text: string, displayName: string): ParamsTree {
  const ext = extname(displayName).toLowerCase();
  let v: unknown;
  try {
    if (ext === '.json') v = loadYaml(text, displayName); // JSON is YAML 1.2; keeps 1.0 as a float
    else if (ext === '.toml') v = normalizeToml(parseToml(text));
    else if (ext === '.py') v = loadPy(text, displayName);
    else if (ext === '.yaml' || ext === '.yml' || ext === '') v = loadYaml(text, displayName);
    else throw new InvalidFileError(`${displayName}: unsupported params file type '${ext}'`, { hint: 'use a .yaml, .yml, .json, .toml or .py params file' });
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new InvalidFileError(`${displayName}: cannot parse: ${(e as Error).message.split('\n')[0]}`, { cause: e, hint: `fix the syntax of ${displayName}` });
  }
  if (v === null || v === undefined) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new InvalidFileError(`${displayName}: a params file must hold a mapping`, { hint: 'put your params in key: value form' });
  return v as ParamsTree;
}

export function readParamsFile(absPath: string, displayName: string): ParamsTree {
  let text: string;
  try {
    text = readFileSync(absPath, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EISDIR' ? 'is a directory' : code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable' : `cannot be read (${code ?? (e as Error).message})`;
    throw new InvalidFileError(`params file '${displayName}' ${why}`, { cause: e, hint: `point params/vars at a readable .yaml, .json, .toml or .py file` });
  }
  return parseParamsText(text, displayName);
}

const MISSING = Symbol('missing');

/** `dpath.get(tree, "a.b.c", separator=".")`; list indices as numbers. Returns undefined when absent. */
export function getDotted(tree: unknown, key: string): unknown {
  const v = getDottedOr(tree, key);
  return v === MISSING ? undefined : v;
}

export function hasDotted(tree: unknown, key: string): boolean {
  return getDottedOr(tree, key) !== MISSING;
}

function getDottedOr(tree: unknown, key: string): unknown {
  if (tree && typeof tree === 'object' && !Array.isArray(tree) && Object.hasOwn(tree, key)) return (tree as ParamsTree)[key];
  let cur: unknown = tree;
  for (const part of key.split('.')) {
    if (Array.isArray(cur) && /^\d+$/.test(part) && Number(part) < cur.length) cur = cur[Number(part)];
    else if (cur && typeof cur === 'object' && !(cur instanceof PyFloat) && Object.hasOwn(cur, part)) cur = (cur as ParamsTree)[part];
    else return MISSING;
  }
  return cur;
}

/** Sets `a.b.c` in a tree, creating mappings (used by `exp run -S`). */
export function setDotted(tree: ParamsTree, key: string, value: unknown): void {
  const parts = key.split('.');
  let cur: any = tree;
  for (const p of parts.slice(0, -1)) {
    if (Array.isArray(cur) && /^\d+$/.test(p)) cur = cur[Number(p)];
    else {
      if (cur[p] === undefined || cur[p] === null || typeof cur[p] !== 'object') cur[p] = {};
      cur = cur[p];
    }
  }
  const last = parts[parts.length - 1] ?? key;
  if (Array.isArray(cur) && /^\d+$/.test(last)) cur[Number(last)] = value;
  else cur[last] = value;
}

/** Python equality of param values: 5 == 5.0, lists compared elementwise, dicts by keys. */
export function paramEqual(a: unknown, b: unknown): boolean {
  const na = a instanceof PyFloat ? a.value : a;
  const nb = b instanceof PyFloat ? b.value : b;
  if (typeof na === 'number' && typeof nb === 'number') return na === nb || (Number.isNaN(na) && Number.isNaN(nb));
  if (typeof na === 'boolean' || typeof nb === 'boolean') return na === nb;
  if (Array.isArray(na) && Array.isArray(nb)) return na.length === nb.length && na.every((x, i) => paramEqual(x, nb[i]));
  if (na && nb && typeof na === 'object' && typeof nb === 'object' && !Array.isArray(na) && !Array.isArray(nb)) {
    const ka = Object.keys(na), kb = Object.keys(nb);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(nb, k) && paramEqual((na as any)[k], (nb as any)[k]));
  }
  return na === nb;
}

/** Flattens a tree to dotted keys (DVC's `params diff` / `exp show` columns). */
export function flattenParams(tree: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (tree && typeof tree === 'object' && !Array.isArray(tree) && !(tree instanceof PyFloat)) {
    const entries = Object.entries(tree as ParamsTree);
    if (!entries.length && prefix) out[prefix] = {};
    for (const [k, v] of entries) flattenParams(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out[prefix] = tree;
  return out;
}

/** A value as plain JSON (PyFloat -> number). */
export function toPlain(v: unknown): unknown {
  if (v instanceof PyFloat) return v.value;
  if (Array.isArray(v)) return v.map(toPlain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toPlain(x)]));
  return v;
}
