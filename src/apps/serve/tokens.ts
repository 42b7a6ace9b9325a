/**
 * Tokens for `geodvc serve`: each token maps to a role.
 *   read   GET/HEAD objects, listings, batch existence checks
 *   write  read + add new objects (never replace or delete)
 *   admin  write + DELETE (gc)
 * File format (text): one token per line, `<role> <token> [name]`, `#` comments and blank lines
 * ignored. JSON is also accepted: `[{"role": "write", "token": "...", "name": "ci"}]`.
 * Tokens are kept only as sha256 digests in memory and compared in constant time; logs show the
 * token's name (or a short digest prefix), never the token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from '../../lib/errors.js';

export type Role = 'read' | 'write' | 'admin';
export const ROLES: readonly Role[] = ['read', 'write', 'admin'];
const RANK: Record<Role, number> = { read: 1, write: 2, admin: 3 };

/** True when `have` includes the permissions of `need`. */
export function roleAllows(have: Role | undefined, need: Role): boolean {
  return have !== undefined && RANK[have] >= RANK[need];
}

export interface TokenEntry { role: Role; name: string; digest: Buffer }
export interface Principal { role: Role; name: string }

export const MIN_TOKEN_LENGTH = 16;

function digest(token: string): Buffer { return createHash('sha256').update(token, 'utf8').digest(); }

export class TokenStore {
  private readonly entries: TokenEntry[];
  constructor(entries: { role: Role; token: string; name?: string }[]) {
    this.entries = entries.map((e) => {
      const d = digest(e.token);
      return { role: e.role, name: e.name ?? `token-${d.toString('hex').slice(0, 8)}`, digest: d };
    });
  }
  get size(): number { return this.entries.length; }

  /** Looks a token up in constant time per entry; undefined when unknown. */
  lookup(token: string): Principal | undefined {
    const d = digest(token);
    let found: TokenEntry | undefined;
    for (const e of this.entries) if (timingSafeEqual(e.digest, d) && !found) found = e;
    return found ? { role: found.role, name: found.name } : undefined;
  }

  /** Parses the text of a tokens file (see the module comment). */
  static parse(text: string, source = 'tokens file'): TokenStore {
    const out: { role: Role; token: string; name?: string }[] = [];
    const bad = (msg: string) => new ConfigError(`${source}: ${msg}`, { hint: 'each line is `<role> <token> [name]` with role read, write or admin; tokens at least 16 characters' });
    const trimmed = text.trim();
    if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
      let v: unknown;
      try { v = JSON.parse(trimmed); } catch { throw bad('invalid JSON'); }
      const list = Array.isArray(v) ? v : (v as { tokens?: unknown }).tokens;
      if (!Array.isArray(list)) throw bad('expected a JSON array of {role, token, name}');
      list.forEach((x, i) => {
        const r = x as { role?: unknown; token?: unknown; name?: unknown };
        if (typeof r?.token !== 'string' || !ROLES.includes(r.role as Role)) throw bad(`entry ${i + 1} needs a string token and a role read|write|admin`);
        out.push({ role: r.role as Role, token: r.token, name: typeof r.name === 'string' ? r.name : undefined });
      });
    } else {
      text.split(/\r?\n/).forEach((line, i) => {
        const l = line.trim();
        if (!l || l.startsWith('#')) return;
        const parts = l.split(/\s+/);
        if (parts.length < 2 || !ROLES.includes(parts[0] as Role)) throw bad(`line ${i + 1}: expected \`<role> <token> [name]\``);
        out.push({ role: parts[0] as Role, token: parts[1]!, name: parts.slice(2).join(' ') || undefined });
      });
    }
    for (const [i, e] of out.entries()) {
      if (e.token.length < MIN_TOKEN_LENGTH) throw bad(`token ${e.name ?? i + 1} is shorter than ${MIN_TOKEN_LENGTH} characters`);
      if (/[\s\u0000-\u001f]/.test(e.token)) throw bad(`token ${e.name ?? i + 1} contains whitespace or control characters`);
    }
    const seen = new Set<string>();
    for (const e of out) { if (seen.has(e.token)) throw bad(`a token is listed twice${e.name ? ` (${e.name})` : ''}`); seen.add(e.token); }
    return new TokenStore(out);
  }

  /** Reads a tokens file. `warnings` receives a note when the file is readable by others. */
  static load(path: string, warnings?: (msg: string) => void): TokenStore {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
      const st = statSync(path);
      if (st.mode & 0o004) warnings?.(`tokens file ${path} is readable by every user; chmod 600 it`);
    } catch (err) {
      throw new ConfigError(`cannot read tokens file '${path}'`, { cause: err, hint: 'pass an existing file to --tokens' });
    }
    return TokenStore.parse(text, `tokens file '${path}'`);
  }
}

/**
 * Extracts the token from an Authorization header: `Bearer <token>`, or `Basic base64(user:token)`
 * (the password is the token; a user with an empty password is taken as the token), as DVC's http
 * remote sends with `auth basic`. Returns undefined when there is no usable credential.
 */
export function tokenFromAuthorization(header: string | undefined): string | undefined {
  if (!header || header.length > 8192) return undefined;
  const m = /^\s*(\S+)\s+(\S+)\s*$/.exec(header);
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  if (scheme === 'bearer' || scheme === 'token') return m[2];
  if (scheme === 'basic') {
    let dec: string;
    try { dec = Buffer.from(m[2]!, 'base64').toString('utf8'); } catch { return undefined; }
    const i = dec.indexOf(':');
    if (i < 0) return dec || undefined;
    const pass = dec.slice(i + 1);
    return pass || dec.slice(0, i) || undefined;
  }
  return undefined;
}
