/**
 * `.dvcignore`: gitignore syntax, one file per directory (nested files apply below their directory
 * and win over their parents). `.git`, `.hg` and `.dvc` directories are always ignored. A path is
 * ignored when one of its parent directories is, or when the last pattern matching it is not
 * negated. `.dvcignore` files are read lazily, once per directory, so checking 100k paths costs
 * one `stat` per directory plus pattern tests (a matcher that cannot backtrack catastrophically).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface IgnoreRule {
  /** True when the rule's pattern matches `rel` (`/`-separated, relative to the rule's directory). */
  test(rel: string): boolean;
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

/*
 * Matching without backtracking regexes (issue 17, ReDoS): a pattern made of several `**`
 * segments followed by `a*a*a*a*a*b`, compiled to a regex (`(?:.*\/)?` per `**`, `[^/]*` per `*`),
 * backtracks in O(n^k) on a long path that almost matches. Here a pattern is a list of segment
 * matchers and `**` markers, each segment a list of tokens; both levels use the greedy wildcard
 * algorithm that only ever returns to the LAST star, which is exact when every non-star token
 * matches exactly one element (a char within a segment, a segment within a path) and costs at most
 * O(pattern × subject) token tests per level: polynomial, whatever the input.
 */

/** A token of a segment: a literal code unit, `?`, a character class, or `*`. */
type Tok =
  | { k: 'lit'; c: number }
  | { k: 'any' }
  | { k: 'class'; neg: boolean; ranges: number[] /* lo, hi, lo, hi … */ }
  | { k: 'star' };

/** A segment pattern: a literal string (fast path) or tokens. */
type Seg = { lit: string } | { toks: Tok[] };
/** A path pattern element: a segment, `**` (zero or more segments) or one arbitrary segment. */
type PathTok = Seg | '**' | 'anyseg';

/** Greedy wildcard match: `isStar(i)` matches any run of subject elements, `one(i, j)` one element. */
function wildcard(plen: number, n: number, isStar: (i: number) => boolean, one: (i: number, j: number) => boolean): boolean {
  let pi = 0;
  let si = 0;
  let starPi = -1;
  let starSi = 0;
  while (si < n) {
    if (pi < plen && isStar(pi)) { starPi = pi++; starSi = si; continue; }
    if (pi < plen && one(pi, si)) { pi++; si++; continue; }
    if (starPi < 0) return false;
    pi = starPi + 1;
    si = ++starSi;
  }
  while (pi < plen && isStar(pi)) pi++;
  return pi === plen;
}

function classHas(t: { neg: boolean; ranges: number[] }, c: number): boolean {
  let inside = false;
  for (let i = 0; i < t.ranges.length; i += 2) if (c >= t.ranges[i]! && c <= t.ranges[i + 1]!) { inside = true; break; }
  return inside !== t.neg;
}

function segMatches(seg: Seg, s: string): boolean {
  if ('lit' in seg) return seg.lit === s;
  const toks = seg.toks;
  return wildcard(toks.length, s.length, (i) => toks[i]!.k === 'star', (i, j) => {
    const t = toks[i]!;
    const c = s.charCodeAt(j);
    if (t.k === 'lit') return t.c === c;
    if (t.k === 'any') return c !== 47;
    if (t.k === 'class') return c !== 47 && classHas(t, c);
    return false;
  });
}

/** One gitignore segment (no `/`) -> its matcher. */
function compileSegment(seg: string): Seg {
  const toks: Tok[] = [];
  let plain = true;
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '\\' && i + 1 < seg.length) { toks.push({ k: 'lit', c: seg.charCodeAt(++i) }); continue; }
    if (c === '*') {
      while (seg[i + 1] === '*') i++;
      toks.push({ k: 'star' });
      plain = false;
      continue;
    }
    if (c === '?') { toks.push({ k: 'any' }); plain = false; continue; }
    if (c === '[') {
      const end = seg.indexOf(']', i + 2);
      if (end > 0) {
        let body = seg.slice(i + 1, end);
        let neg = false;
        if (body[0] === '!' || body[0] === '^') { neg = true; body = body.slice(1); }
        const ranges: number[] = [];
        for (let k = 0; k < body.length; k++) {
          const lo = body.charCodeAt(k);
          if (body[k + 1] === '-' && k + 2 < body.length) { ranges.push(lo, body.charCodeAt(k + 2)); k += 2; }
          else ranges.push(lo, lo);
        }
        toks.push({ k: 'class', neg, ranges });
        plain = false;
        i = end;
        continue;
      }
    }
    toks.push({ k: 'lit', c: seg.charCodeAt(i) });
  }
  if (plain) {
    let lit = '';
    for (const t of toks) lit += String.fromCharCode((t as { c: number }).c);
    return { lit };
  }
  return { toks };
}

function pathMatches(pat: PathTok[], segs: string[]): boolean {
  return wildcard(pat.length, segs.length, (i) => pat[i] === '**', (i, j) => {
    const p = pat[i]!;
    if (p === 'anyseg') return true;
    return segMatches(p as Seg, segs[j]!);
  });
}

/** Compiles one gitignore line; undefined for blanks and comments. */
export function compileIgnorePattern(line: string): IgnoreRule | undefined {
  let p = line.replace(/\r$/, '');
  // Trailing spaces are dropped unless escaped (a loop, not a regex: no backtracking on long runs).
  let e = p.length;
  while (e > 0 && /\s/.test(p[e - 1]!) && p[e - 2] !== '\\') e--;
  p = p.slice(0, e);
  if (p === '' || p.startsWith('#')) return undefined;
  let negate = false;
  if (p.startsWith('!')) { negate = true; p = p.slice(1); }
  else if (p.startsWith('\\!') || p.startsWith('\\#')) p = p.slice(1);
  let dirOnly = false;
  if (p.endsWith('/') && !p.endsWith('\\/')) {
    dirOnly = true;
    let k = p.length;
    while (k > 0 && p[k - 1] === '/') k--;
    p = p.slice(0, k);
  }
  if (p === '') return undefined;
  const anchored = p.includes('/');
  if (p.startsWith('/')) p = p.slice(1);
  const base = { negate, dirOnly, source: line };
  if (!anchored) {
    // no slash: the pattern matches the last segment, at any depth (`**` alone matches everything)
    if (p === '**') return { ...base, test: () => true };
    const seg = compileSegment(p);
    return { ...base, test: (rel) => segMatches(seg, rel.slice(rel.lastIndexOf('/') + 1)) };
  }
  const raw = p.split('/');
  const pat: PathTok[] = [];
  for (let i = 0; i < raw.length; i++) {
    const seg = raw[i]!;
    if (seg === '**') {
      // a trailing `**` needs at least one segment (`a/**` matches inside a, not a itself)
      if (i === raw.length - 1 && i > 0) { pat.push('anyseg'); }
      if (pat[pat.length - 1] !== '**') pat.push('**'); // `**/**` is `**`
      continue;
    }
    pat.push(compileSegment(seg));
  }
  // cheap rejections before the general match: the number of segments, and the first and last
  // segments when they are not `**` (a parent directory is tested for every ancestor of a path,
  // and those near misses then cost O(1) instead of O(pattern x depth))
  const fixed = pat.filter((x) => x !== '**').length;
  const hasGlobstar = pat.includes('**');
  const first = pat[0] !== '**' && pat[0] !== 'anyseg' ? pat[0] as Seg : undefined;
  const last = pat[pat.length - 1] !== '**' && pat[pat.length - 1] !== 'anyseg' ? pat[pat.length - 1] as Seg : undefined;
  return {
    ...base,
    test: (rel) => {
      if (last && !segMatches(last, rel.slice(rel.lastIndexOf('/') + 1))) return false;
      if (first) {
        const i = rel.indexOf('/');
        if (!segMatches(first, i < 0 ? rel : rel.slice(0, i))) return false;
      }
      const segs = rel.split('/');
      if (segs.length < fixed || (!hasGlobstar && segs.length !== fixed)) return false;
      return pathMatches(pat, segs);
    },
  };
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

  /**
   * The directories, from the root down to `dir` included, whose `.dvcignore` has rules: memoised
   * per directory, so a path 2,000 segments deep costs one lookup per new directory instead of one
   * per ancestor per test (that was O(depth^2) string hashing per path).
   */
  const chains = new Map<string, string[]>();
  const chainOf = (dir: string): string[] => {
    let c = chains.get(dir);
    if (c) return c;
    let base: string[] = [];
    if (dir !== '') {
      const slash = dir.lastIndexOf('/');
      base = chainOf(slash < 0 ? '' : dir.slice(0, slash));
    }
    c = rulesOf(dir).length ? [...base, dir] : base;
    chains.set(dir, c);
    return c;
  };

  /** Last-match-wins over the ignore files of every ancestor directory of `rel`. */
  const matches = (rel: string, isDir: boolean): boolean => {
    let result = false;
    for (const rule of DEFAULT_RULES) if ((isDir || !rule.dirOnly) && rule.test(rel)) result = !rule.negate;
    if (result) return true;
    const slash = rel.lastIndexOf('/');
    for (const dir of chainOf(slash < 0 ? '' : rel.slice(0, slash))) {
      const sub = dir === '' ? rel : rel.slice(dir.length + 1);
      for (const rule of rulesOf(dir)) {
        if (rule.dirOnly && !isDir) continue;
        if (rule.test(sub)) result = !rule.negate;
      }
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
    reset() { rulesByDir.clear(); dirIgnored.clear(); chains.clear(); },
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
