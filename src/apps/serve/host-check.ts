/**
 * DNS-rebinding and cross-site request guard shared by `geodvc serve` and `geodvc ui`.
 *
 * A page on `evil.example` whose DNS name is re-pointed at 127.0.0.1 makes the browser send
 * requests to our port with `Host: evil.example:PORT`; the browser then treats the answers as
 * same-origin and lets the page read them. Checking `Host` against the names the server is really
 * reached by closes that: accepted are the loopback names (`127.0.0.1`, `localhost`, `[::1]`), the
 * address the server is bound to, any IP literal when bound to a wildcard address (an IP literal
 * cannot be rebound), and names given with `--allow-host` (a DNS name or a reverse proxy's name).
 * The port must be the bound port (or absent when the bound port is the scheme's default), except
 * for `--allow-host` names, which match with any port (a proxy in front listens elsewhere).
 *
 * State-changing requests (anything but GET/HEAD/OPTIONS) that carry an `Origin` must come from an
 * allowed origin too: that stops a cross-site form or fetch POST/PUT/DELETE (which is sent even
 * though its answer cannot be read). Requests without `Origin` (geodvc, DVC, curl) are unaffected.
 */
import { isIP } from 'node:net';

export interface HostCheckOptions {
  /** Address the server listens on (as passed to listen()). */
  host: string;
  port: number;
  tls?: boolean;
  /** Extra host names (or `name:port`) accepted in `Host`/`Origin`. */
  allowHosts?: readonly string[];
}

export type HostVerdict = { ok: true } | { ok: false; status: 421 | 403; reason: string };

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '::1']);
const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/** Splits `name[:port]` / `[v6][:port]` into a lower-case name (no brackets) and a port (or undefined). Undefined when malformed. */
export function splitHostHeader(value: string): { name: string; port: number | undefined } | undefined {
  const v = value.trim().toLowerCase();
  if (!v || v.length > 300) return undefined;
  let name: string;
  let portText: string | undefined;
  if (v.startsWith('[')) {
    const end = v.indexOf(']');
    if (end < 0) return undefined;
    name = v.slice(1, end);
    const rest = v.slice(end + 1);
    if (rest && !rest.startsWith(':')) return undefined;
    portText = rest ? rest.slice(1) : undefined;
    if (isIP(name) !== 6) return undefined;
  } else {
    const c = v.indexOf(':');
    if (c >= 0 && v.indexOf(':', c + 1) >= 0) return undefined; // a bare IPv6 address is not a valid Host
    name = c < 0 ? v : v.slice(0, c);
    portText = c < 0 ? undefined : v.slice(c + 1);
    if (!/^[a-z0-9.-]+$/.test(name)) return undefined;
  }
  if (name.endsWith('.')) name = name.slice(0, -1); // `localhost.` is `localhost`
  let port: number | undefined;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText)) return undefined;
    port = Number(portText);
    if (port > 65535) return undefined;
  }
  return { name, port };
}

/** Builds the checker for one listening server. */
export function createHostCheck(opts: HostCheckOptions): { checkHost(host: string | undefined): HostVerdict; checkOrigin(method: string, origin: string | undefined): HostVerdict; allowed(): string[] } {
  const bound = opts.host.toLowerCase().replace(/^\[|\]$/g, '');
  const wildcard = WILDCARDS.has(bound);
  const defaultPort = opts.tls ? 443 : 80;
  const names = new Set<string>(LOOPBACK_NAMES);
  if (!wildcard) names.add(bound);
  const extra: { name: string; port: number | undefined }[] = [];
  for (const a of opts.allowHosts ?? []) {
    const s = splitHostHeader(a);
    if (s) extra.push(s);
  }

  const accepts = (value: string): boolean => {
    const s = splitHostHeader(value);
    if (!s) return false;
    if (extra.some((e) => e.name === s.name && (e.port === undefined || e.port === (s.port ?? defaultPort)))) return true;
    const portOk = s.port === undefined ? opts.port === defaultPort : s.port === opts.port;
    if (!portOk) return false;
    if (names.has(s.name)) return true;
    return wildcard && isIP(s.name) !== 0;
  };

  const shown = (): string[] => {
    const fmt = (n: string) => (n.includes(':') ? `[${n}]` : n);
    const list = [...names].map((n) => `${fmt(n)}:${opts.port}`);
    if (wildcard) list.push(`<any IP address>:${opts.port}`);
    for (const e of extra) list.push(e.port === undefined ? fmt(e.name) : `${fmt(e.name)}:${e.port}`);
    return list;
  };

  return {
    allowed: shown,
    checkHost(host) {
      if (host === undefined) return { ok: true }; // HTTP/1.0 clients; browsers always send Host
      if (accepts(host)) return { ok: true };
      return { ok: false, status: 421, reason: `Host ${JSON.stringify(host.slice(0, 100))} is not an address of this server (accepted: ${shown().join(', ')}); add the name with --allow-host if you reach the server through it` };
    },
    checkOrigin(method, origin) {
      if (origin === undefined || method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return { ok: true };
      let u: URL | undefined;
      try { u = origin === 'null' ? undefined : new URL(origin); } catch { u = undefined; }
      if (u && (u.protocol === 'http:' || u.protocol === 'https:') && accepts(u.host)) return { ok: true };
      return { ok: false, status: 403, reason: `cross-origin ${method.slice(0, 16)} from ${JSON.stringify(origin.slice(0, 100))} refused (accepted origins: ${shown().join(', ')})` };
    },
  };
}
