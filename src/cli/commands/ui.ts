import type { CommandModule } from '../types.js';
import { UsageError } from '../../lib/errors.js';

export const command: CommandModule = {
  path: ['ui'],
  describe: 'serve a local web map of the repository: offline basemap, a layer per tracked/stage output, raster tiles from the cache, revisions, annotation diff, experiments',
  configure(cmd) {
    cmd
      .option('--port <n>', 'TCP port (0 picks a free one)', '8765')
      .option('--host <addr>', 'address to listen on', '127.0.0.1')
      .option('--no-open', 'do not open a browser')
      .option('--allow-host <name>', 'also accept this name (or name:port) in the Host header, e.g. when reached through a DNS name or a proxy; repeatable', (v: string, prev: string[] = []) => [...prev, v])
      .option('--basemap <url>', 'also draw an online XYZ raster basemap under the offline one, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png (the only request the page makes off this host; default: $GEODVC_UI_BASEMAP, else none)')
      .option('--check', 'start, answer one request of each kind, print the URL and stop (smoke test)');
  },
  async run(ctx, _args, opts) {
    const { findRepoRoot, openRepoSync } = await import('../../core/api/repo.js');
    const { startUiServer } = await import('../../apps/ui/server.js');
    const { readDirIndex, buildDirIndex } = await import('../../core/api/geo-info.js');
    const { geoDiff } = await import('../../core/api/geo-diff.js');
    const { expShow } = await import('../../core/api/exp.js');
    const { mkdtempSync, readFileSync, rmSync, existsSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const port = Number(opts.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`invalid --port '${opts.port}'`, { hint: 'use a number from 0 to 65535' });
    const root = findRepoRoot(ctx.cwd);
    if (!root) throw new UsageError('geodvc ui needs a geodvc/DVC repository', { hint: 'run it inside a repository (`geodvc init`)' });
    const repo = openRepoSync(root);
    const host = String(opts.host);
    if (!['127.0.0.1', 'localhost', '::1'].includes(host)) {
      ctx.warn(`the ui has no authentication: anyone who can reach ${host}:${port} can read the repository's data`);
      if (!(opts.allowHost as string[] | undefined)?.length) ctx.warn('browsers must open it by IP address; add --allow-host NAME for a DNS name (other Host headers get 421)');
    }
    const srv = await startUiServer({
      root: repo.root, cacheDir: repo.cacheDir, host, port, basemapUrl: (opts.basemap as string | undefined) ?? (process.env.GEODVC_UI_BASEMAP || undefined), allowHosts: (opts.allowHost as string[] | undefined) ?? [],
      log: (l) => ctx.logger.debug?.(l),
      api: {
        readDirIndex,
        buildDirIndex: (cacheDir, oid, hashName) => buildDirIndex(cacheDir, oid, hashName),
        async annotationDiff(cwd, a, b) {
          const tmp = mkdtempSync(join(tmpdir(), 'geodvc-ui-diff-'));
          try {
            const out = join(tmp, 'changes.geojson');
            const r = await geoDiff({ cwd, args: [a, b], geojsonOut: out, signal: ctx.signal });
            const geojson = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : { type: 'FeatureCollection', features: [] };
            return { summary: r.summary, semantic: r.semantic, files: r.files.map((f: any) => ({ path: f.path, status: f.status, counts: f.counts })), geojson } as any;
          } finally { rmSync(tmp, { recursive: true, force: true }); }
        },
        experiments: (cwd) => expShow(cwd, { all: true }),
      },
    });
    if (opts.check) {
      const get = async (p: string) => { const r = await fetch(new URL(p, srv.url)); if (!r.ok) throw new UsageError(`GET ${p} answered ${r.status}: ${await r.text()}`, { hint: 'run with -v for details' }); return r; };
      await get('/');
      const revs = await (await get('/api/revisions')).json() as { sha: string }[];
      if (revs[0]) await get(`/api/footprints?rev=${revs[0].sha}`);
      await get('/api/basemap.json');
      await get('/vendor/maplibre/maplibre-gl.mjs');
      const config = await (await get('/api/config')).json() as { tiles: boolean; basemap: string | null };
      await srv.close();
      if (ctx.json) ctx.outJson({ url: srv.url, ok: true, revisions: revs.length, tiles: config.tiles, basemap: config.basemap });
      else ctx.out(`ui ok at ${srv.url} (${revs.length} revision(s)); stopped (--check)`, true);
      return 0;
    }
    if (ctx.json) ctx.outJson({ url: srv.url, root: repo.root });
    else ctx.out(`geodvc ui: ${srv.url}  (${repo.root}); Ctrl-C to stop`, true);
    if (opts.open !== false && !ctx.json) {
      const { spawn } = await import('node:child_process');
      const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
      try { const c = spawn(cmd, [srv.url], { stdio: 'ignore', detached: true }); c.on('error', () => ctx.info(`open ${srv.url} in a browser`)); c.unref(); } catch { ctx.info(`open ${srv.url} in a browser`); }
    }
    await new Promise<void>((res) => {
      if (ctx.signal.aborted) res();
      else ctx.signal.addEventListener('abort', () => res(), { once: true });
    });
    await srv.close();
    return 0;
  },
};
