/**
 * The `geodvc ui` HTTP server: plain node:http, the page from `assets/ui/` and JSON endpoints
 * over the repository. Read-only: no endpoint writes to the workspace, git or the cache (except
 * the per-directory geo index, a cache file keyed by content).
 *
 *   GET /                                  the page (assets/ui/index.html, app.js, app.css)
 *   GET /api/info                          {root, head, revisions}
 *   GET /api/revisions                     commits touching .dvc files / dvc.lock
 *   GET /api/footprints?rev=R              FeatureCollection (WGS 84) + versions/splits/missing,
 *                                          splitFiles (geo split's splits.json) and buffers (its buffer zones)
 *   GET /api/diff?a=A&b=B                  annotation diff: {summary, geojson}
 *   GET /api/preview.png?rev=R&path=P[&size=N]   downsampled PNG of a tracked raster
 *   GET /api/experiments                   rows of `exp show`
 *   GET /api/timeline                      revisions with the tracked outputs each changed (and file counts)
 *   GET /api/config                        {basemap: user XYZ URL or null, tiles: native tiles available}
 *   GET /api/basemap.json                  offline Natural Earth land/coastline/borders (basemap.ts)
 *   GET /api/raster?rev=R&path=P           {extent (EPSG:3857), bounds (lon/lat), bands, dtype} for tiles
 *   GET /api/tiles/Z/X/Y.png?rev=R&path=P[&bands=4,3,2][&stretch=2,98|none]   XYZ tile (tiles.ts)
 *   GET /vendor/maplibre/FILE              MapLibre GL JS from the installed package (no CDN)
 *
 * Every request must name this server in `Host` (127.0.0.1/localhost/[::1] with the bound port,
 * the bound address, or an `allowHosts` name): a page on another site whose DNS name is re-pointed
 * at 127.0.0.1 (DNS rebinding) gets 421 instead of the repository. Previews are decoded in a
 * capped child process (preview.ts), never in this event loop.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { AppError } from '../../lib/errors.js';
import { footprints, listRevisions, locateTracked, openGit, resolveRev, timeline, type FootprintsResult, type UiApi } from './data.js';
import { PreviewRenderer, type PreviewLimits } from './preview.js';
import { createHostCheck } from '../serve/host-check.js';
import { TileRenderer, type TileRendererOptions } from './tiles.js';
import { basemapJson, checkBasemapUrl, maplibreDir, MAPLIBRE_FILES } from './basemap.js';

export interface UiServerOptions {
  root: string;
  cacheDir: string;
  api: UiApi;
  host?: string;
  port?: number;
  /** Directory with index.html/app.js/app.css (default: the package's assets/ui). */
  assetsDir?: string;
  log?: (line: string) => void;
  /** Extra names accepted in `Host` (e.g. when the ui is reached through a DNS name or a proxy). */
  allowHosts?: string[];
  /** Limits of the preview decoder (memory budget, time, concurrency). */
  preview?: PreviewLimits;
  /** An online XYZ raster basemap (`https://.../{z}/{x}/{y}.png`) drawn under the offline one; the only URL the page may load from another host. */
  basemapUrl?: string;
  /** Options of the native tile renderer (tiles.ts). */
  tiles?: TileRendererOptions;
}

export interface UiServer { url: string; port: number; close(): Promise<void> }

/** The package's `assets/ui` directory, found from this module upwards (source or dist). */
export function defaultAssetsDir(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const c = join(d, 'assets', 'ui');
    if (existsSync(join(c, 'index.html'))) return c;
    d = dirname(d);
  }
  throw new AppError('ui-assets-missing', 'the ui page (assets/ui/index.html) is not in the package', 1, { hint: 'reinstall geodvc; the package must ship its assets/ folder' });
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };

function send(res: ServerResponse, status: number, body: string | Buffer, type: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), 'application/json; charset=utf-8');
}

function errorStatus(e: AppError): number {
  if (e.code === 'not-tracked' || e.code === 'not-found') return 404;
  if (e.code === 'missing-cache') return 409;
  if (e.code === 'preview-too-large') return 413;
  if (e.code === 'preview-failed') return 422;
  if (e.code === 'preview-busy' || e.code === 'preview-timeout') return 503;
  if (e.code === 'no-native-gdal') return 501;
  if (e.exitCode === 254) return 400;
  return 500;
}

export async function startUiServer(opts: UiServerOptions): Promise<UiServer> {
  const git = openGit(opts.root);
  const assets = opts.assetsDir ?? defaultAssetsDir();
  const fpCache = new Map<string, Promise<FootprintsResult>>();
  const diffCache = new Map<string, Promise<unknown>>();
  const previews = new PreviewRenderer(opts.preview);
  const previewCache = new Map<string, Promise<import('./preview.js').PreviewResult>>();
  let hostCheck: ReturnType<typeof createHostCheck> | undefined;
  const basemapUrl = opts.basemapUrl ? checkBasemapUrl(opts.basemapUrl) : null;
  const tiles = new TileRenderer(opts.tiles);
  const mlDir = maplibreDir();
  // full commit ids already checked (tiles name their revision by sha: no git call per tile)
  const knownShas = new Set<string>();
  const rev = (u: URL, name: string): string => {
    const v = param(u, name);
    if (knownShas.has(v)) return v;
    const sha = resolveRev(git, v);
    if (sha === v && knownShas.size < 4096) knownShas.add(sha);
    return sha;
  };
  const located = new Map<string, string>();
  const locate = (sha: string, rel: string): string => {
    const key = `${sha}\0${rel}`;
    let obj = located.get(key);
    if (!obj) {
      obj = locateTracked(git, opts.cacheDir, sha, rel).obj;
      located.set(key, obj);
      if (located.size > 4096) located.delete(located.keys().next().value!);
    }
    return obj;
  };
  const param = (u: URL, name: string): string => {
    const v = u.searchParams.get(name);
    if (!v) throw new AppError('bad-request', `missing query parameter '${name}'`, 254, { hint: `add ?${name}=...` });
    return v;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (hostCheck) {
      const h = hostCheck.checkHost(req.headers.host);
      const v = h.ok ? hostCheck.checkOrigin(req.method ?? '', req.headers.origin) : h;
      if (!v.ok) {
        opts.log?.(`refused ${v.status} ${req.method} ${JSON.stringify(String(req.url).slice(0, 200))}: ${v.reason}`);
        res.setHeader('connection', 'close');
        sendJson(res, v.status, { error: { code: v.status === 421 ? 'wrong-host' : 'cross-origin', message: v.reason, hint: v.status === 421 ? 'open the ui at the URL geodvc printed; start it with --allow-host NAME to reach it by another name' : 'the ui is read-only and only answers its own page' } });
        return;
      }
    }
    const u = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') { sendJson(res, 405, { error: { code: 'method', message: 'read-only server: GET only' } }); return; }
    const p = u.pathname;
    if (p.startsWith('/vendor/maplibre/')) {
      const name = p.slice('/vendor/maplibre/'.length);
      if (!MAPLIBRE_FILES.has(name) || !existsSync(join(mlDir, name))) { send(res, 404, 'not found', 'text/plain'); return; }
      const body = readFileSync(join(mlDir, name));
      res.writeHead(200, { 'content-type': TYPES[extname(name)] ?? 'application/octet-stream', 'content-length': body.length, 'cache-control': 'max-age=3600', 'x-content-type-options': 'nosniff' });
      res.end(body);
      return;
    }
    if (!p.startsWith('/api/')) {
      const name = p === '/' ? 'index.html' : p.slice(1);
      if (!/^[a-z0-9_-]+\.(html|js|css|svg)$/.test(name)) { send(res, 404, 'not found', 'text/plain'); return; }
      const f = join(assets, name);
      if (!existsSync(f)) { send(res, 404, 'not found', 'text/plain'); return; }
      send(res, 200, readFileSync(f), TYPES[extname(f)] ?? 'application/octet-stream');
      return;
    }
    if (p === '/api/revisions') { sendJson(res, 200, listRevisions(git)); return; }
    if (p === '/api/info') {
      const head = git.revParse('HEAD');
      sendJson(res, 200, { root: opts.root, head, branch: git.currentBranch(), revisions: listRevisions(git) });
      return;
    }
    if (p === '/api/footprints') {
      const sha = resolveRev(git, param(u, 'rev'));
      let pr = fpCache.get(sha);
      if (!pr) { pr = footprints(opts.api, git, opts.cacheDir, sha); fpCache.set(sha, pr); pr.catch(() => fpCache.delete(sha)); }
      const r = await pr;
      sendJson(res, 200, { type: 'FeatureCollection', rev: r.rev, versions: r.versions, splits: r.splits, missing: r.missing, splitFiles: r.splitFiles, buffers: r.buffers, features: r.features });
      return;
    }
    if (p === '/api/diff') {
      const a = resolveRev(git, param(u, 'a')), b = resolveRev(git, param(u, 'b'));
      const key = `${a}..${b}`;
      let pr = diffCache.get(key);
      if (!pr) { pr = opts.api.annotationDiff(opts.root, a, b); diffCache.set(key, pr); pr.catch(() => diffCache.delete(key)); }
      sendJson(res, 200, await pr);
      return;
    }
    if (p === '/api/preview.png') {
      const sha = resolveRev(git, param(u, 'rev'));
      const size = Math.max(16, Math.min(1024, Number(u.searchParams.get('size') ?? 256) || 256));
      const rel = param(u, 'path');
      const { obj } = locateTracked(git, opts.cacheDir, sha, rel);
      // cache objects never change: a rendered preview is kept (the last 64), a refusal is not
      const key = `${obj}\0${size}`;
      let pr = previewCache.get(key);
      if (!pr) {
        pr = previews.render(obj, size, `${rel}@${sha.slice(0, 7)}`);
        previewCache.set(key, pr);
        pr.catch(() => previewCache.delete(key));
        if (previewCache.size > 64) previewCache.delete(previewCache.keys().next().value!);
      }
      const r = await pr;
      res.setHeader('x-preview-size', `${r.width}x${r.height}`);
      send(res, 200, r.png, 'image/png');
      return;
    }
    if (p === '/api/timeline') { sendJson(res, 200, timeline(git, opts.cacheDir)); return; }
    if (p === '/api/config') { sendJson(res, 200, { basemap: basemapUrl, tiles: tiles.available() }); return; }
    if (p === '/api/basemap.json') {
      const body = basemapJson();
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'max-age=3600', 'x-content-type-options': 'nosniff' });
      res.end(body);
      return;
    }
    if (p === '/api/raster') {
      const sha = rev(u, 'rev');
      const rel = param(u, 'path');
      const obj = locate(sha, rel);
      const info = await tiles.extent(obj, `${rel}@${sha.slice(0, 7)}`);
      const toLon = (x: number) => (x / 20037508.342789244) * 180;
      const toLat = (y: number) => (Math.atan(Math.exp((y / 20037508.342789244) * Math.PI)) * 360) / Math.PI - 90;
      const e = info.extent;
      sendJson(res, 200, { ...info, bounds: [toLon(e[0]), toLat(e[1]), toLon(e[2]), toLat(e[3])] });
      return;
    }
    const tm = /^\/api\/tiles\/(\d{1,2})\/(\d{1,8})\/(\d{1,8})\.png$/.exec(p);
    if (tm) {
      const t0 = performance.now();
      const sha = rev(u, 'rev');
      const rel = param(u, 'path');
      const obj = locate(sha, rel);
      const bandsQ = u.searchParams.get('bands');
      const bands = bandsQ ? bandsQ.split(',').map(Number) : undefined;
      const st = u.searchParams.get('stretch');
      let stretch: [number, number] | null | undefined;
      if (st === 'none') stretch = null;
      else if (st) {
        const [a, b] = st.split(',').map(Number);
        if (!(a! >= 0 && b! <= 100 && a! < b!)) throw new AppError('bad-request', `stretch=${st}: give two percentiles low,high (0-100) or none`, 254, { hint: 'e.g. stretch=2,98' });
        stretch = [a!, b!];
      }
      // a tile the map stopped waiting for (panned away) is dropped before its warp
      const gone = new AbortController();
      res.on('close', () => { if (!res.writableEnded) gone.abort(); });
      const png = await tiles.render(obj, `${rel}@${sha.slice(0, 7)}`, Number(tm[1]), Number(tm[2]), Number(tm[3]), { bands, stretch, signal: gone.signal });
      // time in this server (waiting for a dataset handle + warp + encode), readable by the page
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length, 'cache-control': 'max-age=600', 'x-content-type-options': 'nosniff', 'server-timing': `tile;dur=${(performance.now() - t0).toFixed(1)}` });
      res.end(png);
      return;
    }
    if (p === '/api/experiments') { sendJson(res, 200, opts.api.experiments(opts.root)); return; }
    sendJson(res, 404, { error: { code: 'not-found', message: `no endpoint ${p}` } });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      const err = e instanceof AppError ? e : new AppError('internal', (e as Error)?.message ?? String(e), 255);
      opts.log?.(`${req.method} ${req.url}: ${err.code}: ${err.message}`);
      if (!res.headersSent) sendJson(res, errorStatus(err), { error: { code: err.code, message: err.message, hint: err.hint } });
      else res.end();
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) => fail(e.code === 'EADDRINUSE'
      ? new AppError('port-in-use', `port ${opts.port} on ${opts.host ?? '127.0.0.1'} is already in use`, 1, { hint: 'pass another --port, or --port 0 for a free one' })
      : e));
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => ok());
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host ?? '127.0.0.1';
  hostCheck = createHostCheck({ host, port, allowHosts: opts.allowHosts });
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  return {
    url, port,
    close: () => new Promise<void>((ok) => { previews.close(); tiles.close(); server.closeAllConnections?.(); server.close(() => ok()); }),
  };
}

