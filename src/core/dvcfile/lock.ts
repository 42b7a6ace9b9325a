/**
 * A block-style YAML emitter that writes what ruamel.yaml (round-trip mode, as DVC configures it:
 * no flow style, 2-space mappings, sequences not indented, width 80, unicode allowed) writes for
 * plain data: the scalar style rules (plain, then single quotes, double quotes when the text has a
 * `'` or a line break), 80-column folding of long scalars and Python's float repr.
 *
 * Integral floats must be wrapped in `PyFloat` (YAML `1.0` stays `1.0`).
 */
import { readFileSync, rmSync } from 'node:fs';
import { PyFloat } from '../../lib/pyjson.js';
import { InvalidFileError } from '../../lib/errors.js';
import { writeFileAtomicSync } from '../../lib/atomic.js';
import { assertNotReserved } from '../../lib/safepath.js';
import { loadYaml } from './params.js';

const WIDTH = 80;

/** Python's `repr(float)`: shortest round-trip digits, exponent form outside 1e-4 <= |x| < 1e16. */
export function pyFloatRepr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const sign = n < 0 ? '-' : '';
  const sci = Math.abs(n).toExponential(); // always 'd[.ddd]e[+-]n' for a finite number
  const eAt = sci.indexOf('e');
  const digits = sci.slice(0, eAt).replace('.', '');
  const exp = Number(sci.slice(eAt + 1));
  if (exp >= -4 && exp < 16) {
    if (exp >= 0) {
      if (digits.length <= exp + 1) return sign + digits + '0'.repeat(exp + 1 - digits.length) + '.0';
      return sign + digits.slice(0, exp + 1) + '.' + digits.slice(exp + 1);
    }
    return sign + '0.' + '0'.repeat(-exp - 1) + digits;
  }
  const m = digits.length > 1 ? digits[0] + '.' + digits.slice(1) : digits;
  return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** A float as ruamel's representer writes it (`repr().lower()`, `1e+17` -> `1.0e+17`). */
export function yamlFloat(n: number): string {
  if (Number.isNaN(n)) return '.nan';
  if (!Number.isFinite(n)) return n > 0 ? '.inf' : '-.inf';
  let v = pyFloatRepr(n).toLowerCase();
  if (!v.includes('.') && v.includes('e')) v = v.replace('e', '.0e');
  return v;
}

// YAML 1.2 implicit resolvers of ruamel: plain text matching these would not load back as a str.
const IMPLICIT = [
  /^(?:true|True|TRUE|false|False|FALSE)$/,
  /^(?:~|null|Null|NULL|)$/,
  /^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+)$/,
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)?)$/,
  /^(?:<<)$/,
  /^(?:=)$/,
];

interface Analysis {
  empty: boolean; multiline: boolean;
  allowBlockPlain: boolean; allowSingle: boolean;
}

const WS = '\0 \t\r\n\x85\u2028\u2029';
const BREAKS = '\n\x85\u2028\u2029';

function analyze(s: string): Analysis {
  if (!s) return { empty: true, multiline: false, allowBlockPlain: false, allowSingle: true };
  let blockInd = false, lineBreaks = false, special = false;
  let leadingSpace = false, leadingBreak = false, trailingSpace = false, trailingBreak = false;
  let breakSpace = false, spaceBreak = false, prevSpace = false, prevBreak = false;
  if (s.startsWith('---') || s.startsWith('...')) blockInd = true;
  let precededByWs = true;
  const chars = Array.from(s);
  let followedByWs = chars.length === 1 || WS.includes(chars[1] ?? '');
  for (const [i, ch] of chars.entries()) {
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockInd = true;
      if ('?:'.includes(ch) && followedByWs) blockInd = true;
      if (ch === '-' && followedByWs) blockInd = true;
    } else {
      if (ch === ':' && followedByWs) blockInd = true;
      if (ch === '#' && precededByWs) blockInd = true;
    }
    if (BREAKS.includes(ch)) lineBreaks = true;
    const cp = ch.codePointAt(0)!;
    if (!(ch === '\n' || (cp >= 0x20 && cp <= 0x7e))) {
      const uni = (cp === 0x85 || (cp >= 0xa0 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp < 0x10ffff)) && cp !== 0xfeff;
      if (!uni) special = true;
    }
    if (ch === ' ') {
      if (i === 0) leadingSpace = true;
      if (i === chars.length - 1) trailingSpace = true;
      if (prevBreak) breakSpace = true;
      prevSpace = true; prevBreak = false;
    } else if (BREAKS.includes(ch)) {
      if (i === 0) leadingBreak = true;
      if (i === chars.length - 1) trailingBreak = true;
      if (prevSpace) spaceBreak = true;
      prevSpace = false; prevBreak = true;
    } else { prevSpace = false; prevBreak = false; }
    precededByWs = WS.includes(ch);
    const after = chars[i + 2];
    followedByWs = after === undefined || WS.includes(after);
  }
  let allowBlockPlain = true, allowSingle = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) allowBlockPlain = false;
  if (breakSpace) allowBlockPlain = allowSingle = false;
  if (spaceBreak || special) allowBlockPlain = allowSingle = false;
  if (lineBreaks) allowBlockPlain = false;
  if (blockInd) allowBlockPlain = false;
  return { empty: false, multiline: lineBreaks, allowBlockPlain, allowSingle };
}

type Style = '' | "'" | '"';

function chooseStyle(s: string, simpleKey: boolean): Style {
  const a = analyze(s);
  const implicitStr = !IMPLICIT.some((re) => re.test(s));
  if (implicitStr && !(simpleKey && (a.empty || a.multiline)) && a.allowBlockPlain) return '';
  if (s.includes("'") || s.includes('\n')) return '"';
  if (a.allowSingle && !(simpleKey && a.multiline)) return "'";
  return '"';
}

/** Writer state: the text so far and the current column. */
class Out {
  text = '';
  column = 0;
  write(s: string): void { this.text += s; this.column += s.length; }
  indent(n: number): void { this.text += '\n' + ' '.repeat(n); this.column = n; }
}

function writePlain(o: Out, s: string, indent: number, split: boolean): void {
  let spaces = false;
  let start = 0;
  for (let end = 0; end <= s.length; end++) {
    const ch = end < s.length ? s[end] : undefined;
    if (spaces) {
      if (ch !== ' ') {
        if (start + 1 === end && o.column > WIDTH && split) o.indent(indent);
        else o.write(s.slice(start, end));
        start = end;
      }
    } else if (ch === undefined || ch === ' ') {
      o.write(s.slice(start, end));
      start = end;
    }
    if (ch !== undefined) spaces = ch === ' ';
  }
}

function writeSingle(o: Out, s: string, indent: number, split: boolean): void {
  o.write("'");
  let spaces = false;
  let start = 0;
  for (let end = 0; end <= s.length; end++) {
    const ch = end < s.length ? s[end] : undefined;
    if (spaces) {
      if (ch === undefined || ch !== ' ') {
        if (start + 1 === end && o.column > WIDTH && split && start !== 0 && end !== s.length) o.indent(indent);
        else o.write(s.slice(start, end));
        start = end;
      }
    } else if (ch === undefined || ch === ' ' || ch === "'") {
      if (start < end) { o.write(s.slice(start, end)); start = end; }
    }
    if (ch === "'") { o.write("''"); start = end + 1; }
    if (ch !== undefined) spaces = ch === ' ';
  }
  o.write("'");
}

const ESC: Record<string, string> = {
  '\0': '0', '\x07': 'a', '\b': 'b', '\t': 't', '\n': 'n', '\x0b': 'v', '\f': 'f', '\r': 'r',
  '\x1b': 'e', '"': '"', '\\': '\\', '\x85': 'N', '\xa0': '_', '\u2028': 'L', '\u2029': 'P',
};

function writeDouble(o: Out, s: string, indent: number, split: boolean): void {
  o.write('"');
  const t = Array.from(s);
  let start = 0;
  for (let end = 0; end <= t.length; end++) {
    const ch = end < t.length ? t[end] : undefined;
    const cp = ch?.codePointAt(0) ?? 0;
    const plainOk = ch !== undefined && !'"\\\x85\u2028\u2029\ufeff'.includes(ch) &&
      ((cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || cp >= 0x10000);
    if (!plainOk) {
      if (start < end) { o.write(t.slice(start, end).join('')); start = end; }
      if (ch !== undefined) {
        let data: string;
        if (ESC[ch] !== undefined) data = '\\' + ESC[ch];
        else if (cp <= 0xff) data = '\\x' + cp.toString(16).toUpperCase().padStart(2, '0');
        else if (cp <= 0xffff) data = '\\u' + cp.toString(16).toUpperCase().padStart(4, '0');
        else data = '\\U' + cp.toString(16).toUpperCase().padStart(8, '0');
        o.write(data);
        start = end + 1;
      }
    }
    if (end > 0 && end < t.length - 1 && (ch === ' ' || start >= end) && o.column + (end - start) > WIDTH && split) {
      o.write(t.slice(start, end).join('') + '\\');
      if (start < end) start = end;
      o.indent(indent);
      if (t[start] === ' ') o.write('\\');
    }
  }
  o.write('"');
}

function scalarText(v: unknown): { text: string; str: boolean } {
  if (v === null || v === undefined) return { text: '', str: false };
  if (v === true) return { text: 'true', str: false };
  if (v === false) return { text: 'false', str: false };
  if (v instanceof PyFloat) return { text: yamlFloat(v.value), str: false };
  if (typeof v === 'number') return { text: Number.isInteger(v) ? String(v) : yamlFloat(v), str: false };
  if (typeof v === 'bigint') return { text: v.toString(), str: false };
  return { text: String(v), str: true };
}

function writeScalar(o: Out, v: unknown, indent: number, simpleKey: boolean): void {
  const { text, str } = scalarText(v);
  if (!str) { o.write(text); return; }
  const style = chooseStyle(text, simpleKey);
  const split = !simpleKey;
  if (style === '') writePlain(o, text, indent, split);
  else if (style === "'") writeSingle(o, text, indent, split);
  else writeDouble(o, text, indent, split);
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof PyFloat);
}

function writeMapping(o: Out, m: Record<string, unknown>, indent: number, first: boolean): void {
  let isFirst = first;
  for (const [k, v] of Object.entries(m)) {
    if (!isFirst) o.indent(indent);
    isFirst = false;
    writeScalar(o, k, indent, true);
    o.write(':');
    writeValue(o, v, indent);
  }
}

function writeValue(o: Out, v: unknown, indent: number): void {
  if (Array.isArray(v)) {
    if (v.length === 0) { o.write(' []'); return; }
    for (const item of v) {
      o.indent(indent);
      o.write('- ');
      writeItem(o, item, indent + 2);
    }
  } else if (isMap(v)) {
    if (Object.keys(v).length === 0) { o.write(' {}'); return; }
    o.indent(indent + 2);
    writeMapping(o, v, indent + 2, true);
  } else if (v === null || v === undefined) {
    // ruamel writes None as an empty value
  } else {
    o.write(' ');
    writeScalar(o, v, indent + 2, false);
  }
}

function writeItem(o: Out, v: unknown, indent: number): void {
  if (isMap(v)) {
    if (Object.keys(v).length === 0) { o.write('{}'); return; }
    writeMapping(o, v, indent, true);
  } else if (Array.isArray(v)) {
    if (v.length === 0) { o.write('[]'); return; }
    let first = true;
    for (const item of v) {
      if (!first) o.indent(indent);
      first = false;
      o.write('- ');
      writeItem(o, item, indent + 2);
    }
  } else {
    writeScalar(o, v, indent, false);
  }
}

/** Dumps a mapping as DVC's ruamel dumper writes it, ending in a newline. */
export function dumpRuamelYaml(doc: Record<string, unknown>): string {
  const o = new Out();
  writeMapping(o, doc, 0, true);
  return o.text + '\n';
}

// ---------------------------------------------------------------------------------------------
// dvc.lock (schema '2.0'): `dvc/stage/serialize.py` to_single_stage_lockfile, `dvc/dvcfile.py` Lockfile.

/** One dep/out entry of a lock stage. Key order on write: path, hash, md5, size, nfiles, isexec. */
export interface LockEntry {
  path: string;
  hash?: string;
  md5?: string;
  size?: number;
  nfiles?: number;
  isexec?: boolean;
  /** Other hash fields (legacy `md5` without `hash`, cloud etags) are kept as read. */
  [extra: string]: unknown;
}

export interface LockStage {
  cmd: string | string[];
  deps?: LockEntry[];
  /** file -> key -> value; `params.yaml` first, then files alphabetically, keys sorted. */
  params?: Record<string, Record<string, unknown>>;
  outs?: LockEntry[];
}

export interface LockFile {
  /** Stage name -> entry, in file order. */
  stages: Map<string, LockStage>;
  /** Other top-level keys (e.g. `datasets`), written back as read. */
  extra: Record<string, unknown>;
}

const ENTRY_ORDER = ['path', 'hash', 'md5', 'size', 'nfiles', 'isexec'];

function pyCmp(a: string, b: string): number {
  if (a === b) return 0;
  // code point order (Python str compare); a proper prefix sorts first
  const ib = b[Symbol.iterator]();
  for (const ca of a) {
    const cb = ib.next();
    if (cb.done) return 1;
    const x = ca.codePointAt(0) ?? 0, y = cb.value.codePointAt(0) ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return ib.next().done ? 0 : -1;
}
export { pyCmp as comparePyStr };

function orderEntry(e: LockEntry): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ENTRY_ORDER) if (e[k] !== undefined) out[k] = e[k];
  for (const [k, v] of Object.entries(e)) if (!(k in out) && v !== undefined) out[k] = v;
  return out;
}

/** The lock stage as the ordered mapping DVC dumps (deps/outs sorted by path, params ordered). */
export function lockStageToObject(s: LockStage): Record<string, unknown> {
  const o: Record<string, unknown> = { cmd: s.cmd };
  if (s.deps?.length) o.deps = [...s.deps].sort((a, b) => pyCmp(a.path, b.path)).map(orderEntry);
  if (s.params && Object.keys(s.params).length) {
    const files = Object.entries(s.params).sort(([a], [b]) => (a === 'params.yaml' ? -1 : b === 'params.yaml' ? 1 : pyCmp(a, b)));
    const p: Record<string, unknown> = {};
    for (const [f, vals] of files) p[f] = Object.fromEntries(Object.entries(vals).sort(([a], [b]) => pyCmp(a, b)));
    o.params = p;
  }
  if (s.outs?.length) o.outs = [...s.outs].sort((a, b) => pyCmp(a.path, b.path)).map(orderEntry);
  return o;
}

/** dvc.lock text, byte-for-byte as DVC 3 writes it. */
export function serializeLock(lock: LockFile): string {
  const stages: Record<string, unknown> = {};
  for (const [name, s] of lock.stages) stages[name] = lockStageToObject(s);
  const doc: Record<string, unknown> = { schema: '2.0', ...lock.extra, stages };
  return dumpRuamelYaml(doc);
}

/** Parses dvc.lock (schema 2.0). A DVC 1 lock (no `schema`) is refused with a hint. */
export function parseLock(text: string, file = 'dvc.lock'): LockFile {
  const raw = loadYaml(text, file) as Record<string, unknown> | null;
  const lock: LockFile = { stages: new Map(), extra: {} };
  if (!raw || typeof raw !== 'object') return lock;
  if (raw.schema === undefined) {
    throw new InvalidFileError(`${file}: lock file in DVC 1.x format (no 'schema')`, { hint: `delete ${file} and run \`geodvc repro\` to write a '2.0' lock` });
  }
  if (String(raw.schema) !== '2.0') throw new InvalidFileError(`${file}: unsupported lock schema '${String(raw.schema)}'`, { hint: "geodvc reads dvc.lock schema '2.0' (DVC 2.x/3.x)" });
  for (const [k, v] of Object.entries(raw)) if (k !== 'schema' && k !== 'stages') lock.extra[k] = v;
  const stages = (raw.stages ?? {}) as Record<string, any>;
  if (typeof stages !== 'object') throw new InvalidFileError(`${file}: 'stages' must be a mapping`, { hint: `fix ${file} or delete it and run \`geodvc repro\`` });
  for (const [name, s] of Object.entries(stages)) {
    if (!s || typeof s !== 'object') throw new InvalidFileError(`${file}: stage '${name}' is not a mapping`, { hint: `fix ${file} or delete it and run \`geodvc repro\`` });
    const entry: LockStage = { cmd: s.cmd ?? '' };
    if (Array.isArray(s.deps)) entry.deps = s.deps.map((d: any, i: number) => {
      if (!d || typeof d !== 'object' || Array.isArray(d)) throw new InvalidFileError(`${file}: stage '${name}' deps[${i}] is not a mapping`, { hint: `fix ${file} or delete it and run \`geodvc repro\`` });
      assertNotReserved(String(d.path), `dependency of stage '${name}' in ${file}`);
      return { ...d, path: String(d.path) };
    });
    if (s.params && typeof s.params === 'object') entry.params = s.params;
    if (Array.isArray(s.outs)) entry.outs = s.outs.map((d: any, i: number) => {
      if (!d || typeof d !== 'object' || Array.isArray(d)) throw new InvalidFileError(`${file}: stage '${name}' outs[${i}] is not a mapping`, { hint: `fix ${file} or delete it and run \`geodvc repro\`` });
      assertNotReserved(String(d.path), `output of stage '${name}' in ${file}`);
      return { ...d, path: String(d.path) };
    });
    lock.stages.set(name, entry);
  }
  return lock;
}

/** Reads dvc.lock if it exists. */
export function readLock(absPath: string, displayName = 'dvc.lock'): LockFile {
  let text: string;
  try { text = readFileSync(absPath, 'utf8'); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { stages: new Map(), extra: {} };
    throw e;
  }
  return parseLock(text, displayName);
}

/** Writes dvc.lock atomically; deletes it when no stage is left (as DVC does). */
export function writeLock(absPath: string, lock: LockFile): void {
  if (lock.stages.size === 0) { rmSync(absPath, { force: true }); return; }
  writeFileAtomicSync(absPath, serializeLock(lock));
}
