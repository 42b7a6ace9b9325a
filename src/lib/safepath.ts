/**
 * Shared path and secret hygiene for every parser that turns untrusted text into file-system
 * actions (`.dvc`, `.dir` manifests, `dvc.yaml`, `dvc.lock`, config, STAC, server requests).
 *
 * Use:
 * - `assertSafeRelpath(p, what)` on every relpath read from a file or a request before it is
 *   joined to a directory (e.g. each `.dir` entry's `relpath`). It is strict: no `..`, no absolute
 *   path, no NUL/control characters, no backslash, no drive letter, no empty or `.` segment.
 * - `checkRelpath(p, opts)` returns the reason instead of throwing (for batch validation).
 * - `resolveInside(root, rel)` / `resolveInsideSync` before writing or deleting: it joins `rel` to
 *   `root`, refuses anything that leaves `root` lexically, and then walks the existing components
 *   with lstat: a symlink on the way (or at the end, unless `allowFinalSymlink`) whose target is
 *   outside `realpath(root)` is refused. Returns the absolute path to use.
 * - `insideResolver(root)` -> a cached `resolveInsideSync` for checking many paths (checkout, pull).
 * - `redactUrl(url)`, `redactSecrets(text)` before printing or logging anything that may carry
 *   credentials. `registerSecret(value)` adds a known secret (e.g. a token read from
 *   config.local) so that `redactSecrets` hides it wherever it appears.
 *
 * - `reservedPathProblem(rel)` / `assertNotReserved(rel, what)`: THE rule for git's and DVC's own
 *   directories (issue 17). No path read from a `.dvc`, `dvc.yaml`, `dvc.lock`, `.dir` manifest or
 *   a `-o` option may have a segment that is `.git` or `.dvc` in any case and in any spelling a
 *   case-insensitive or Windows/macOS file system takes for it (`.GIT`, `.git.`, `.git `, `git~1`,
 *   `.g\u200cit`), at any depth. `resolveInside`/`insideResolver` apply it to the lexical path and
 *   to the target of every symlink on the way, so no write or delete ever enters `.git` or
 *   `.dvc` through a link either. Nothing (`--force` included) overrides it.
 *
 * Every refusal is a `PathError` with code `unsafe-path` (or `path-outside-repo`, or `reserved-path`
 * for the rule above) and a hint.
 * This module imports nothing but node and `./errors.js`, so every layer may use it.
 */
import { lstatSync, realpathSync } from 'node:fs';
import { lstat, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { PathError } from './errors.js';

export interface RelpathOptions {
  /** Allow `..` segments as long as the normalized path stays inside (default false). */
  allowParent?: boolean;
  /** Allow `.` segments and a bare `.` (default false). */
  allowDot?: boolean;
  /** Maximum length in UTF-16 units (default 4096). */
  maxLength?: number;
}

/** The reason a relpath is unsafe, or undefined when it is fine. */
export function checkRelpath(p: unknown, opts: RelpathOptions = {}): string | undefined {
  if (typeof p !== 'string') return 'is not a string';
  if (p.length === 0) return 'is empty';
  if (p.length > (opts.maxLength ?? 4096)) return 'is too long';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(p)) return p.includes('\u0000') ? 'contains a NUL byte' : 'contains a control character';
  if (p.includes('\\')) return 'contains a backslash';
  if (/^[A-Za-z]:/.test(p)) return 'starts with a drive letter';
  if (p.startsWith('/') || isAbsolute(p)) return 'is an absolute path';
  const segs = p.split('/');
  let depth = 0;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    if (s === '') {
      // a single trailing slash is tolerated only with allowDot ("dir/")
      if (opts.allowDot && i === segs.length - 1 && i > 0) continue;
      return 'has an empty segment';
    }
    if (s === '.') {
      if (!opts.allowDot) return "has a '.' segment";
      continue;
    }
    if (s === '..') {
      if (!opts.allowParent) return "has a '..' segment";
      depth--;
      if (depth < 0) return 'leaves its base directory';
      continue;
    }
    // a segment like "C:" in the middle is harmless on POSIX but dangerous on Windows
    if (/^[A-Za-z]:$/.test(s) || s.includes(':') && /^[A-Za-z]:/.test(s)) return 'has a drive-letter segment';
    depth++;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The reserved-directory rule (.git, .dvc)

/** Code points HFS+ ignores in file names (so `.g\u200cit` is `.git` there). */
// eslint-disable-next-line no-misleading-character-class
const HFS_IGNORABLE = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/gu;

/**
 * Which reserved directory a single path segment names: `'git'` for `.git`, `'dvc'` for `.dvc`,
 * undefined otherwise. Compared the way the most permissive file system would: case-insensitive,
 * trailing dots and spaces dropped (Windows), HFS+-ignorable code points dropped (macOS), and the
 * 8.3 short names `git~1`/`dvc~1`.
 */
export function reservedSegment(seg: string): 'git' | 'dvc' | undefined {
  if (seg.length < 4) return undefined;
  const c0 = seg.charCodeAt(0);
  // fast path: every reserved spelling starts with '.', 'g'/'G', 'd'/'D' or a non-ASCII ignorable
  if (c0 !== 46 && c0 !== 103 && c0 !== 71 && c0 !== 100 && c0 !== 68 && c0 < 0x80) return undefined;
  let s = seg;
  if (/[^\u0000-\u007f]/.test(s)) s = s.replace(HFS_IGNORABLE, '');
  s = s.toLowerCase().replace(/[. ]+$/, '');
  if (s === '.git' || s === 'git~1') return 'git';
  if (s === '.dvc' || s === 'dvc~1') return 'dvc';
  return undefined;
}

/**
 * The reason a `/`-separated relative path reaches into `.git` or `.dvc` (see `reservedSegment`),
 * or undefined. `rel` is relative to the repository root (or to a tracked directory for `.dir`
 * entries, where any segment counts too).
 */
export function reservedPathProblem(rel: string): string | undefined {
  // fast path for the common case (ASCII, no 'git'/'dvc' anywhere)
  if (!/git|dvc/i.test(rel) && !/[^\u0000-\u007f]/.test(rel)) return undefined;
  for (const seg of rel.split(/[\\/]/)) {
    const r = reservedSegment(seg);
    if (r === 'git') return seg === '.git' ? 'it is inside .git' : `it is inside .git (${JSON.stringify(seg)} names .git on some file systems)`;
    if (r === 'dvc') return seg === '.dvc' ? "it is inside .dvc (geodvc's own directory)" : `it is inside .dvc (${JSON.stringify(seg)} names .dvc on some file systems)`;
  }
  return undefined;
}

/** The rule's name in messages (as DVC names its `.git` ignore rule). */
export const RESERVED_RULE = 'no path may enter .git or .dvc, in any case, at any depth, through any symlink';

function reservedError(rel: string, what: string, why: string, hint?: string): PathError {
  return new PathError('reserved-path', `refusing ${what} ${shown(rel)}: ${why}, which geodvc never writes (rule: ${RESERVED_RULE})`, {
    hint: hint ?? 'the file naming this path is corrupt or was crafted to plant git hooks or config: remove it (or restore it from git) and review where it came from; this rule has no override',
    details: { path: rel, reason: why, rule: RESERVED_RULE },
  });
}

/**
 * Throws a PathError (`reserved-path`) when `rel` reaches into `.git` or `.dvc` (see
 * `reservedPathProblem`). `what` names the source, e.g. "output 'x' of hook.dvc". `hint` replaces
 * the default hint (it must never suggest an override).
 */
export function assertNotReserved(rel: string, what = 'path', hint?: string): void {
  const why = reservedPathProblem(rel);
  if (why) throw reservedError(rel, what, why, hint);
}

function shown(p: unknown): string {
  const s = typeof p === 'string' ? p : String(p);
  // JSON-escape so NULs and control characters are visible and cannot garble a terminal
  const j = JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}…` : s);
  return j;
}

/**
 * Throws a PathError (`unsafe-path`) unless `p` is a plain relative POSIX path that cannot leave
 * its base directory. `what` names the source in the message, e.g. "relpath in data.dir".
 */
export function assertSafeRelpath(p: unknown, what = 'path', opts: RelpathOptions = {}): asserts p is string {
  const why = checkRelpath(p, opts);
  if (why) {
    throw new PathError('unsafe-path', `refusing unsafe ${what} ${shown(p)}: it ${why}`, {
      hint: 'paths in DVC files and manifests must be relative, use "/" and stay inside the workspace; the file may be corrupt or crafted',
      details: { path: typeof p === 'string' ? p : null, reason: why },
    });
  }
}

export interface ResolveOptions extends RelpathOptions {
  /** When the final component is a symlink, do not check where it points (default false). */
  allowFinalSymlink?: boolean;
  /** Name of the source for messages. */
  what?: string;
}

function outside(root: string, abs: string): boolean {
  const r = relative(root, abs);
  return r === '..' || r.startsWith(`..${sep}`) || isAbsolute(r);
}

function lexicalResolve(root: string, rel: string, opts: ResolveOptions): { rootAbs: string; abs: string; parts: string[] } {
  const ro = { allowParent: true, allowDot: true, ...opts };
  const why = checkRelpath(rel, ro);
  if (why !== 'leaves its base directory') assertSafeRelpath(rel, opts.what ?? 'path', ro);
  const rootAbs = resolve(root);
  const abs = resolve(rootAbs, rel);
  if (why || outside(rootAbs, abs)) {
    throw new PathError('path-outside-repo', `refusing ${opts.what ?? 'path'} ${shown(rel)}: it leads outside ${rootAbs}`, {
      hint: 'only paths inside the workspace can be written or read', details: { path: rel },
    });
  }
  const r = relative(rootAbs, abs);
  const parts = r ? r.split(sep) : [];
  const why2 = reservedPathProblem(parts.join('/'));
  if (why2) throw reservedError(parts.join('/'), opts.what ?? 'path', why2);
  return { rootAbs, abs, parts };
}

/** A symlink on the way to `rel` whose target leaves `realRoot` or enters `.git`/`.dvc`: the error, or undefined. */
function symlinkProblem(realRoot: string, rel: string, at: string, target: string, what: string): PathError | undefined {
  if (outside(realRoot, target)) return symlinkError(rel, at, target, what);
  const tr = relative(realRoot, target).split(sep).join('/');
  const why = tr ? reservedPathProblem(tr) : undefined;
  if (why) {
    return reservedError(rel, what, `${at} is a symlink to ${target}: ${why}`,
      'remove the symlink (it leads into git\'s or geodvc\'s own directory); the workspace may have been crafted; this rule has no override');
  }
  return undefined;
}

function symlinkError(rel: string, at: string, target: string, what: string): PathError {
  return new PathError('unsafe-path', `refusing ${what} ${shown(rel)}: ${at} is a symlink leading outside the workspace (to ${target})`, {
    hint: 'remove the symlink or make it point inside the workspace; geodvc never writes through a link that leaves the repo',
    details: { path: rel, symlink: at },
  });
}

/**
 * Joins `rel` to `root`, refusing any path that leaves `root` lexically or through a symlink on
 * the way. Components that do not exist yet are fine (they will be created as real dirs).
 * Returns the absolute path (not symlink-resolved).
 */
export async function resolveInside(root: string, rel: string, opts: ResolveOptions = {}): Promise<string> {
  const { rootAbs, abs, parts } = lexicalResolve(root, rel, opts);
  let realRoot: string;
  try { realRoot = await realpath(rootAbs); } catch { return abs; /* root missing: nothing to follow */ }
  let cur = rootAbs;
  for (let i = 0; i < parts.length; i++) {
    cur = join(cur, parts[i]!);
    let st;
    try { st = await lstat(cur); } catch { return abs; /* the rest does not exist yet */ }
    if (!st.isSymbolicLink()) continue;
    if (i === parts.length - 1 && opts.allowFinalSymlink) return abs;
    let target: string;
    try { target = await realpath(cur); } catch { throw symlinkError(rel, cur, '(dangling)', opts.what ?? 'path'); }
    const bad = symlinkProblem(realRoot, rel, cur, target, opts.what ?? 'path');
    if (bad) throw bad;
  }
  return abs;
}

/** Synchronous `resolveInside`. */
export function resolveInsideSync(root: string, rel: string, opts: ResolveOptions = {}): string {
  const { rootAbs, abs, parts } = lexicalResolve(root, rel, opts);
  let realRoot: string;
  try { realRoot = realpathSync(rootAbs); } catch { return abs; }
  let cur = rootAbs;
  for (let i = 0; i < parts.length; i++) {
    cur = join(cur, parts[i]!);
    let st;
    try { st = lstatSync(cur); } catch { return abs; }
    if (!st.isSymbolicLink()) continue;
    if (i === parts.length - 1 && opts.allowFinalSymlink) return abs;
    let target: string;
    try { target = realpathSync(cur); } catch { throw symlinkError(rel, cur, '(dangling)', opts.what ?? 'path'); }
    const bad = symlinkProblem(realRoot, rel, cur, target, opts.what ?? 'path');
    if (bad) throw bad;
  }
  return abs;
}

/**
 * `resolveInsideSync` for many paths under one root (a checkout of 100k files): directories
 * verified once are cached, so each path costs about one lstat. Returns `(rel, opts) => abs`.
 * The check is made before writing; a concurrent attacker swapping a directory for a symlink
 * between check and write (TOCTOU) is out of scope.
 */
export function insideResolver(root: string): (rel: string, opts?: ResolveOptions) => string {
  const rootAbs = resolve(root);
  let realRoot: string | undefined;
  try { realRoot = realpathSync(rootAbs); } catch { realRoot = undefined; }
  const okDirs = new Set<string>([rootAbs]);
  return (rel, opts = {}) => {
    const { abs, parts } = lexicalResolve(rootAbs, rel, opts);
    if (!realRoot) return abs;
    let cur = rootAbs;
    for (let i = 0; i < parts.length; i++) {
      cur = join(cur, parts[i]!);
      const last = i === parts.length - 1;
      if (!last && okDirs.has(cur)) continue;
      let st;
      try { st = lstatSync(cur); } catch { return abs; }
      if (st.isSymbolicLink()) {
        if (last && opts.allowFinalSymlink) return abs;
        let target: string;
        try { target = realpathSync(cur); } catch { throw symlinkError(rel, cur, '(dangling)', opts.what ?? 'path'); }
        const bad = symlinkProblem(realRoot, rel, cur, target, opts.what ?? 'path');
        if (bad) throw bad;
      }
      if (!last && (st.isDirectory() || st.isSymbolicLink())) okDirs.add(cur);
    }
    return abs;
  };
}

/** True when the absolute or root-relative `p` is `root` or below it (lexically). */
export function isInside(root: string, p: string): boolean {
  return !outside(resolve(root), resolve(root, p));
}

// ---------------------------------------------------------------------------------------------
// Secrets

const REDACTED = '***';
const knownSecrets = new Set<string>();

/** Registers a secret value (a token, a password) that `redactSecrets` must hide wherever it appears. */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 4) knownSecrets.add(value);
}

/** Config/query keys whose values are secrets (compared case-insensitively, `-`/`_` ignored). */
const SECRET_KEY_RE = /^(password|passwd|pwd|secret|secretkey|secretaccesskey|accesskeysecret|token|accesstoken|sessiontoken|securitytoken|authtoken|bearer|apikey|accountkey|sastoken|sas|sig|signature|xamzsignature|xamzcredential|xamzsecuritytoken|credential|credentials|connectionstring|privatekey|clientsecret|gdrive_client_secret|gdriveclientsecret|keyfile|passphrase)$/;

/** True when a config key or query parameter name holds a secret (`password`, `secret_access_key`, `token`, ...). */
export function isSecretKey(name: string): boolean {
  const n = name.toLowerCase().replace(/[-_]/g, '');
  return SECRET_KEY_RE.test(n) || n.endsWith('password') || n.endsWith('secret') || n.endsWith('token') || n.endsWith('secretkey');
}

/**
 * Hides the password of a URL's userinfo and the values of secret-looking query parameters:
 * `https://u:p@h/x?token=t&a=1` -> `https://u:***@h/x?token=***&a=1`. Non-URL strings are passed
 * through `redactSecrets`.
 */
export function redactUrl(url: string): string {
  let u: URL;
  try { u = new URL(url); } catch { return redactSecrets(url); }
  let changed = false;
  if (u.password) { u.password = REDACTED; changed = true; }
  else if (u.username && !u.password && /^(https?|s3|gs|azure|webdav|webdavs)/.test(u.protocol) && u.username.length > 20) {
    // a lone long username in an http-ish URL is usually a token (https://TOKEN@host/...)
    u.username = REDACTED; changed = true;
  }
  for (const k of [...u.searchParams.keys()]) {
    if (isSecretKey(k)) { u.searchParams.set(k, REDACTED); changed = true; }
  }
  if (!changed) return redactSecrets(url);
  return redactSecrets(u.toString().replace(/\*\*\*/g, REDACTED).replace(/%2A%2A%2A/g, REDACTED));
}

/**
 * Redacts secrets in free text (log lines, error messages, config dumps): passwords in URLs,
 * `Authorization: Bearer/Basic ...`, `key = value` / `key=value` / `"key": "value"` pairs whose key
 * names a secret, Azure `AccountKey=`/`SharedAccessSignature=` parts, AWS-style secret keys, and
 * every value registered with `registerSecret`.
 */
export function redactSecrets(text: string): string {
  if (!text) return text;
  let out = text;
  for (const s of knownSecrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  // scheme://user:password@host
  out = out.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s/:@'"]*:)([^\s@/'"]+)@/gi, `$1${REDACTED}@`);
  // Authorization headers
  out = out.replace(/\b(Bearer|Basic|Token)(\s+)[A-Za-z0-9._~+/=-]{4,}/g, `$1$2${REDACTED}`);
  // Azure connection-string parts
  out = out.replace(/\b(AccountKey|SharedAccessSignature|SharedAccessKey)=([^;\s'"]+)/gi, `$1=${REDACTED}`);
  // key = value / key: value / "key": "value" / ?key=value&
  out = out.replace(/(["']?)([A-Za-z][A-Za-z0-9_.-]*)\1(\s*[:=]\s*)(["']?)([^\s"'&;,]+)\4/g, (m, q1: string, key: string, sep2: string, q2: string, val: string) => {
    const bare = key.includes('.') ? key.slice(key.lastIndexOf('.') + 1) : key;
    if (!isSecretKey(bare) || val === REDACTED) return m;
    return `${q1}${key}${q1}${sep2}${q2}${REDACTED}${q2}`;
  });
  return out;
}
