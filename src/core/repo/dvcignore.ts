/**
 * `.dvcignore`: gitignore syntax, one file per directory (nested files apply below their directory
 * and win over their parents). `.git`, `.hg` and `.dvc` directories are always ignored. A path is
 * ignored when one of its parent directories is, or when the last pattern matching it is not
 * negated. `.dvcignore` files are read lazily, once per directory, so checking 100k paths costs
 * one `stat` per directory plus regex tests.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface IgnoreRule {
  regex: RegExp;
  negate: boolean;
  dirOnly: boolean;
  /** The pattern as written, for messages. */
  source: string;
}

export interface DvcIgnore {
  /** `relpath`: `/`-separated, relative to the repository root, no leading `./`. */
  ignores(relpath: string, isDir: boolean): boolean;
  /** Clears memoised answers (after a `.dvcignore` changed). */
  reset(): void;
  /**
   * False when no `.dvcignore` rule can apply to the files directly inside `relDir` (none in it or
   * its ancestors) and `relDir` is not ignored: a walker may then skip `ignores()` for each file.
   */
  filesMayBeIgnored?(relDir: string): boolean;
}

function escapeRe(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

function translateSegment(seg: string): string {
  let out = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '\\' && i + 1 < seg.length) { out += escapeRe(seg[++i]!); continue; }
    if (c === '*') { while (seg[i + 1] === '*') i++; out += '[^/]*'; continue; }
    if (c === '?') { out += '[^/]'; continue; }
    if (c === '[') {
      const end = seg.indexOf(']', i + 2);
      if (end > 0) {
        let body = seg.slice(i + 1, end);
        let neg = false;
        if (body[0] === '!' || body[0] === '^') { neg = true; body = body.slice(1); }
        body = body.replace(/\\/g, '\\\\').replace(/]/g, '\\]');
        out += `[${neg ? '^' : ''}${body}]`;
        i = end;
        continue;
      }
    }
    out += escapeRe(c);
  }
  return out;
}

/** Compiles one gitignore line; undefined for blanks and comments. */
export function compileIgnorePattern(line: string): IgnoreRule | undefined {
  let p = line.replace(/\r$/, '');
  // Trailing spaces are dropped unless escaped.
  p = p.replace(/(?<!\\)\s+$/, '');
  if (p === '' || p.startsWith('#')) return undefined;
  let negate = false;
  if (p.startsWith('!')) { negate = true; p = p.slice(1); }
  else if (p.startsWith('\\!') || p.startsWith('\\#')) p = p.slice(1);
  let dirOnly = false;
  if (p.endsWith('/') && !p.endsWith('\\/')) { dirOnly = true; p = p.replace(/\/+$/, ''); }
  if (p === '') return undefined;
  const anchored = p.includes('/');
  if (p.startsWith('/')) p = p.slice(1);
  const segs = p.split('/');
  let body = '';
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    const last = i === segs.length - 1;
    if (seg === '**') {
      if (last) body += body === '' ? '.*' : '.*';
      else body += '(?:.*/)?';
      continue;
    }
    body += translateSegment(seg);
    if (!last) body += '/';
  }
  const src = anchored ? `^${body}$` : `^(?:.*/)?${body}$`;
  return { regex: new RegExp(src, 'u'), negate, dirOnly, source: line };
}

export function parseIgnoreFile(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const line of text.split('\n')) {
    const r = compileIgnorePattern(line);
    if (r) rules.push(r);
  }
  return rules;
}

const DEFAULT_RULES = ['.git/', '.hg/', '.dvc/'].map((l) => compileIgnorePattern(l)!);

/** Loads the `.dvcignore` files of a repository (lazily) and answers "is this path ignored?". */
export function loadDvcIgnore(root: string, opts: { fileName?: string } = {}): DvcIgnore {
  const fileName = opts.fileName ?? '.dvcignore';
  const rulesByDir = new Map<string, IgnoreRule[]>();
  const dirIgnored = new Map<string, boolean>();

  const rulesOf = (dir: string): IgnoreRule[] => {
    let r = rulesByDir.get(dir);
    if (r === undefined) {
      try { r = parseIgnoreFile(readFileSync(join(root, dir, fileName), 'utf8')); } catch { r = []; }
      rulesByDir.set(dir, r);
    }
    return r;
  };

  /** Last-match-wins over the ignore files of every ancestor directory of `rel`. */
  const matches = (rel: string, isDir: boolean): boolean => {
    let result = false;
    const name = rel;
    for (const rule of DEFAULT_RULES) if ((isDir || !rule.dirOnly) && rule.regex.test(name)) result = !rule.negate;
    if (result) return true;
    // Ancestors: '' then 'a', 'a/b', ... up to the parent of rel.
    let idx = -1;
    let dir = '';
    for (;;) {
      const rules = rulesOf(dir);
      if (rules.length) {
        const sub = dir === '' ? rel : rel.slice(dir.length + 1);
        for (const rule of rules) {
          if (rule.dirOnly && !isDir) continue;
          if (rule.regex.test(sub)) result = !rule.negate;
        }
      }
      idx = rel.indexOf('/', idx + 1);
      if (idx < 0) break;
      dir = rel.slice(0, idx);
    }
    return result;
  };

  const isDirIgnored = (dir: string): boolean => {
    if (dir === '') return false;
    let v = dirIgnored.get(dir);
    if (v !== undefined) return v;
    const slash = dir.lastIndexOf('/');
    const parent = slash < 0 ? '' : dir.slice(0, slash);
    v = isDirIgnored(parent) || matches(dir, true);
    dirIgnored.set(dir, v);
    return v;
  };

  return {
    ignores(relpath: string, isDir: boolean): boolean {
      const rel = relpath.replace(/^\.\//, '').replace(/\/+$/, '');
      if (rel === '' || rel === '.') return false;
      const slash = rel.lastIndexOf('/');
      const parent = slash < 0 ? '' : rel.slice(0, slash);
      if (isDirIgnored(parent)) return true;
      if (isDir) return isDirIgnored(rel);
      return matches(rel, false);
    },
    reset() { rulesByDir.clear(); dirIgnored.clear(); },
    filesMayBeIgnored(relDir: string): boolean {
      const rel = relDir.replace(/^\.\//, '').replace(/\/+$/, '');
      if (rel !== '' && rel !== '.' && isDirIgnored(rel)) return true;
      // Default rules are directory-only: they never match a file.
      if (rulesOf('').length) return true;
      let idx = -1;
      for (;;) {
        idx = rel.indexOf('/', idx + 1);
        const dir = idx < 0 ? rel : rel.slice(0, idx);
        if (dir && rulesOf(dir).length) return true;
        if (idx < 0) return false;
      }
    },
  };
}
