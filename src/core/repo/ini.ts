/**
 * configobj-compatible INI reading and writing, the way DVC 3.x reads and writes `.dvc/config`.
 *
 * Written form: `[section]` headers (quoted with `'...'` when the name contains quotes, e.g.
 * `['remote "name"']`), one `key = value` line per key indented by 4 spaces, values quoted
 * with `"` when they contain a comma, a `#`, or start/end with whitespace or a quote (with `'`
 * when they contain a `"`), and `""` for the empty string. Reading accepts what configobj
 * accepts in practice: comments (`#`), quoted or bare section names, quoted values, unquoted
 * comma lists (kept as the comma-joined text), inline comments after values.
 */
import { InvalidFileError } from '../../lib/errors.js';

/** One config file: section name as written (`core`, `remote "name"`) -> key -> value. */
export type IniData = Record<string, Record<string, string>>;

const WSPACE_PLUS = new Set([' ', '\r', '\n', '\v', '\t', "'", '"']);

/** Quotes a key or value the way configobj (list_values=True) does. */
export function quoteIni(value: string): string {
  if (value === '') return '""';
  if (value.includes('\n')) {
    // configobj would write a triple-quoted value; DVC never has multi-line values.
    if (!value.includes("'''")) return `'''${value}'''`;
    return `"""${value}"""`;
  }
  const needs = WSPACE_PLUS.has(value[0]!) || WSPACE_PLUS.has(value[value.length - 1]!) || value.includes(',') || value.includes('#');
  if (!needs) return value;
  if (value.includes('"') && value.includes("'")) {
    if (!value.includes("'''")) return `'''${value}'''`;
    return `"""${value}"""`;
  }
  if (value.includes('"')) return `'${value}'`;
  return `"${value}"`;
}

/** Parses a quoted or bare token starting at the beginning of `s`; returns value and the rest. */
function readValue(s: string, file: string, lineNo: number): string {
  s = s.trim();
  if (s === '') return '';
  for (const q of ["'''", '"""']) {
    if (s.startsWith(q)) {
      const end = s.indexOf(q, 3);
      if (end < 0) throw new InvalidFileError(`${file}:${lineNo}: unterminated ${q} value`, { hint: 'fix the quoting in the config file' });
      return s.slice(3, end);
    }
  }
  // A list: items separated by commas, each quoted or bare, with an optional trailing comment.
  const items: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
    if (i >= s.length || s[i] === '#') break;
    let item: string;
    if (s[i] === '"' || s[i] === "'") {
      const q = s[i]!;
      const end = s.indexOf(q, i + 1);
      if (end < 0) throw new InvalidFileError(`${file}:${lineNo}: unterminated quoted value`, { hint: 'fix the quoting in the config file' });
      item = s.slice(i + 1, end);
      i = end + 1;
    } else {
      let j = i;
      while (j < s.length && s[j] !== ',' && s[j] !== '#') j++;
      item = s.slice(i, j).trim();
      i = j;
    }
    items.push(item);
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
    if (s[i] === ',') { i++; continue; }
    break;
  }
  return items.join(',');
}

function readSectionName(s: string): string {
  s = s.trim();
  if ((s.startsWith("'") && s.endsWith("'")) || (s.startsWith('"') && s.endsWith('"'))) return s.slice(1, -1);
  return s;
}

/**
 * Parses INI text. Keys are lower-cased (as DVC does on load); section names are kept, except
 * that plain ones are lower-cased too and named ones are normalised to `kind "name"`.
 */
export function parseIni(text: string, file = 'config'): IniData {
  const out: IniData = {};
  let section: Record<string, string> | undefined;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, idx) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    if (line.startsWith('[')) {
      const m = /^(\[+)(.*?)(\]+)\s*(#.*)?$/.exec(line);
      if (!m || m[1]!.length !== m[3]!.length) throw new InvalidFileError(`${file}:${idx + 1}: bad section header '${line}'`, { hint: 'fix or remove the line in the config file' });
      if (m[1]!.length !== 1) throw new InvalidFileError(`${file}:${idx + 1}: nested sections are not supported ('${line}')`, { hint: 'fix or remove the line in the config file' });
      const name = normalizeSectionName(readSectionName(m[2]!));
      section = out[name] ??= {};
      return;
    }
    const eq = findKeyEnd(line);
    if (eq < 0) throw new InvalidFileError(`${file}:${idx + 1}: expected 'key = value', got '${line}'`, { hint: 'fix or remove the line in the config file' });
    const key = readSectionName(line.slice(0, eq)).toLowerCase();
    const value = readValue(line.slice(eq + 1), file, idx + 1);
    if (!section) throw new InvalidFileError(`${file}:${idx + 1}: '${key}' is outside of any section`, { hint: 'put it under a section such as [core]' });
    section[key] = value;
  });
  return out;
}

function findKeyEnd(line: string): number {
  if (line[0] === '"' || line[0] === "'") {
    const end = line.indexOf(line[0], 1);
    if (end < 0) return -1;
    return line.indexOf('=', end);
  }
  return line.indexOf('=');
}

/** `remote "X"` / `remote X`-free normalisation: plain names lower-case, named kept as `kind "name"`. */
export function normalizeSectionName(name: string): string {
  const m = /^\s*(remote|machine|db)\s*"(.*)"\s*$/i.exec(name);
  if (m) return `${m[1]!.toLowerCase()} "${m[2]!.toLowerCase()}"`;
  return name.trim().toLowerCase();
}

const NAMED_KINDS = ['remote', 'machine', 'db'];

/** Section order DVC produces: plain sections in their order, then remotes, machines, dbs. */
export function orderSections(data: IniData): string[] {
  const names = Object.keys(data).filter((n) => Object.keys(data[n]!).length > 0);
  const plain = names.filter((n) => !/^(remote|machine|db) "/.test(n));
  const named = NAMED_KINDS.flatMap((k) => names.filter((n) => n.startsWith(`${k} "`)));
  return [...plain, ...named];
}

/** Serialises as configobj does; empty sections are dropped (DVC's `compact`). */
export function stringifyIni(data: IniData): string {
  let out = '';
  for (const name of orderSections(data)) {
    out += `[${quoteIni(name)}]\n`;
    for (const [k, v] of Object.entries(data[name]!)) out += `    ${quoteIni(k)} = ${quoteIni(v)}\n`;
  }
  return out;
}
