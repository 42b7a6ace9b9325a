/**
 * A real node:http file server for the plain-HTTP remote: GET/HEAD with Range, PUT/POST writes
 * (temp file + rename), DELETE, over a temp directory. Runs in this process; kill() closes it and
 * every socket, restart() listens again on the same port.
 */
import { createServer, type Server } from 'node:http';
import { createReadStream, createWriteStream, mkdtempSync, mkdirSync, promises as fsp, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import type { Socket } from 'node:net';
import type { TestServer } from './common.js';

export async function startHttpServer(): Promise<TestServer & { dataDir: string; delayMs: number }> {
  const data = mkdtempSync(join(tmpdir(), 'geodvc-http-'));
  let port = 0;
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  const listen = () => new Promise<void>((res, rej) => {
    server = createServer(async (req, resp) => {
      try {
        // an optional per-request delay, so fault tests can kill the server mid-transfer
        if (srv.delayMs > 0) await new Promise((r) => setTimeout(r, srv.delayMs));
        const u = new URL(req.url!, 'http://x');
        const rel = normalize(decodeURIComponent(u.pathname)).replace(/^(\.\.[/\\])+/, '');
        const p = join(data, rel);
        if (req.method === 'GET' || req.method === 'HEAD') {
          const st = await fsp.stat(p).catch(() => undefined);
          if (!st?.isFile()) { resp.writeHead(404); return resp.end(); }
          const m = /bytes=(\d+)-(\d*)/.exec(String(req.headers.range ?? ''));
          if (m) {
            const s = Number(m[1]);
            const e = Math.min(st.size - 1, m[2] ? Number(m[2]) : st.size - 1);
            resp.writeHead(206, { 'content-length': e - s + 1, 'content-range': `bytes ${s}-${e}/${st.size}`, 'accept-ranges': 'bytes' });
            if (req.method === 'HEAD') return resp.end();
            return createReadStream(p, { start: s, end: e, highWaterMark: 1 << 20 }).on('error', () => resp.destroy()).pipe(resp);
          }
          resp.writeHead(200, { 'content-length': st.size, 'accept-ranges': 'bytes' });
          if (req.method === 'HEAD') return resp.end();
          return createReadStream(p, { highWaterMark: 1 << 20 }).on('error', () => resp.destroy()).pipe(resp);
        }
        if (req.method === 'PUT' || req.method === 'POST') {
          mkdirSync(dirname(p), { recursive: true });
          const tmp = `${p}.${process.hrtime.bigint()}.part`;
          const ws = createWriteStream(tmp);
          // a client killed mid-upload: the request aborts while piped chunks may still be on
          // their way to the file, so unpipe first and let a late write error end quietly
          ws.on('error', () => { void fsp.rm(tmp, { force: true }); if (!resp.headersSent) { resp.writeHead(500); resp.end(); } });
          req.pipe(ws);
          ws.on('finish', async () => {
            try { await fsp.rename(tmp, p); resp.writeHead(201); } catch { resp.writeHead(500); }
            resp.end();
          });
          req.on('aborted', () => { req.unpipe(ws); ws.destroy(); void fsp.rm(tmp, { force: true }); });
          return;
        }
        if (req.method === 'DELETE') {
          await fsp.rm(p, { force: true });
          resp.writeHead(204);
          return resp.end();
        }
        resp.writeHead(405);
        resp.end();
      } catch {
        resp.writeHead(500);
        resp.end();
      }
    });
    server.keepAliveTimeout = 65_000;
    server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
    server.once('error', rej);
    server.listen(port, '127.0.0.1', () => { port = (server!.address() as { port: number }).port; res(); });
  });
  await listen();
  let n = 0;
  const srv = {
    delayMs: 0,
    name: 'node-http',
    dataDir: data,
    get url() { return `http://127.0.0.1:${port}/dvc-data`; },
    options: { method: 'PUT' },
    async newRemote(tag: string) { return { url: `http://127.0.0.1:${port}/${tag}-${++n}`, options: { method: 'PUT' } }; },
    objectPath(remoteUrl: string, key: string) { return join(data, new URL(remoteUrl).pathname, key); },
    async kill() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
      server = undefined;
    },
    async restart() { await listen(); },
    async stop(): Promise<void> { for (const s of sockets) s.destroy(); await new Promise<void>((r) => (server ? server.close(() => r()) : r())); server = undefined; rmSync(data, { recursive: true, force: true }); },
  };
  return srv;
}
