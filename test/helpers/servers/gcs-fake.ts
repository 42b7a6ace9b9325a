/**
 * A small in-memory fake of the GCS JSON API routes @google-cloud/storage 7.22 uses (no GCS emulator
 * installs here; see ../shared/reference/test-servers.md §3). Buckets, multipart and resumable
 * uploads, metadata, media GET with Range, paginated listing, delete. md5Hash/crc32c are real, as
 * the SDK checks them. It is a node:http server in this process; kill() closes it (and every open
 * socket), restart() listens again on the same port with the same data.
 */
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { CRC32C } from '@google-cloud/storage';
import type { TestServer } from './common.js';

interface Obj { data: Buffer; resource: Record<string, unknown> }

export async function startGcsFake(bucket = 'geodvc-test'): Promise<TestServer & { buckets: Map<string, Map<string, Obj>> }> {
  const buckets = new Map<string, Map<string, Obj>>();
  const sessions = new Map<string, { bucket: string; name: string; chunks: Buffer[]; received: number }>();
  let port = 0;
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  let gen = 1;

  const resource = (b: string, name: string, data: Buffer) => ({
    kind: 'storage#object', name, bucket: b, size: String(data.length), generation: String(gen++), metageneration: '1',
    contentType: 'application/octet-stream', md5Hash: createHash('md5').update(data).digest('base64'),
    crc32c: (() => { const c = new CRC32C(); c.update(data); return c.toString(); })(), etag: randomBytes(6).toString('base64'),
    timeCreated: new Date().toISOString(), updated: new Date().toISOString(),
  });
  const json = (res: ServerResponse, code: number, body: unknown) => {
    const s = JSON.stringify(body);
    res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(s) });
    res.end(s);
  };
  const notFound = (res: ServerResponse, what: string) => json(res, 404, { error: { code: 404, message: `${what} not found`, errors: [{ reason: 'notFound', message: `${what} not found` }] } });
  const readBody = (req: IncomingMessage) => new Promise<Buffer>((r, j) => { const c: Buffer[] = []; req.on('data', (d) => c.push(d)); req.on('end', () => r(Buffer.concat(c))); req.on('error', j); });
  const store = (b: string, name: string, data: Buffer) => { const o = { data, resource: resource(b, name, data) }; buckets.get(b)!.set(name, o); return o.resource; };

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const u = new URL(req.url!, `http://127.0.0.1:${port}`);
    const p = u.pathname;
    let m: RegExpExecArray | null;
    if (req.method === 'POST' && p === '/storage/v1/b') {
      const body = JSON.parse((await readBody(req)).toString());
      if (!buckets.has(body.name)) buckets.set(body.name, new Map());
      return json(res, 200, { kind: 'storage#bucket', name: body.name, id: body.name });
    }
    if ((m = /^\/storage\/v1\/b\/([^/]+)$/.exec(p)) && req.method === 'GET') {
      const b = decodeURIComponent(m[1]!);
      return buckets.has(b) ? json(res, 200, { kind: 'storage#bucket', name: b, id: b }) : notFound(res, `bucket ${b}`);
    }
    if ((m = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(p)) && req.method === 'POST') {
      const b = decodeURIComponent(m[1]!);
      if (!buckets.has(b)) { await readBody(req); return notFound(res, `bucket ${b}`); }
      const type = u.searchParams.get('uploadType');
      const body = await readBody(req);
      if (type === 'multipart') {
        const boundary = /boundary=("?)([^";]+)\1/.exec(req.headers['content-type'] ?? '')?.[2];
        const parts = splitMultipart(body, boundary!);
        const meta = JSON.parse(parts[0]!.toString());
        return json(res, 200, store(b, meta.name ?? u.searchParams.get('name'), parts[1]!));
      }
      if (type === 'resumable') {
        const meta = body.length ? JSON.parse(body.toString()) : {};
        const id = randomBytes(8).toString('hex');
        sessions.set(id, { bucket: b, name: meta.name ?? u.searchParams.get('name')!, chunks: [], received: 0 });
        res.writeHead(200, { location: `http://127.0.0.1:${port}/upload/storage/v1/b/${encodeURIComponent(b)}/o?uploadType=resumable&upload_id=${id}`, 'content-length': 0 });
        return res.end();
      }
      return json(res, 400, { error: { code: 400, message: 'bad uploadType' } });
    }
    if ((m = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(p)) && req.method === 'PUT') {
      const id = u.searchParams.get('upload_id')!;
      const s = sessions.get(id);
      const body = await readBody(req);
      if (!s) return notFound(res, 'upload session');
      s.chunks.push(body);
      s.received += body.length;
      const cr = String(req.headers['content-range'] ?? '');
      const total = /\/(\d+)$/.exec(cr)?.[1];
      const finalize = total !== undefined ? Number(total) === s.received : (cr === '' || /-\*\//.test(cr));
      if (finalize) {
        sessions.delete(id);
        return json(res, 200, store(s.bucket, s.name, Buffer.concat(s.chunks)));
      }
      res.writeHead(308, { range: `bytes=0-${s.received - 1}`, 'content-length': 0 });
      return res.end();
    }
    if ((m = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(p)) && req.method === 'GET') {
      const b = decodeURIComponent(m[1]!);
      const objs = buckets.get(b);
      if (!objs) return notFound(res, `bucket ${b}`);
      const prefix = u.searchParams.get('prefix') ?? '';
      const max = Number(u.searchParams.get('maxResults') ?? 1000);
      const token = u.searchParams.get('pageToken') ?? '';
      const names = [...objs.keys()].filter((n) => n.startsWith(prefix) && n > token).sort();
      const page = names.slice(0, max);
      const out: Record<string, unknown> = { kind: 'storage#objects', items: page.map((n) => objs.get(n)!.resource) };
      if (names.length > max) out.nextPageToken = page[page.length - 1];
      return json(res, 200, out);
    }
    if ((m = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(p))) {
      const b = decodeURIComponent(m[1]!);
      const name = decodeURIComponent(m[2]!);
      const objs = buckets.get(b);
      if (!objs) return notFound(res, `bucket ${b}`);
      const o = objs.get(name);
      if (req.method === 'DELETE') { if (!o) return notFound(res, `object ${name}`); objs.delete(name); res.writeHead(204); return res.end(); }
      if (req.method !== 'GET') return json(res, 405, { error: { code: 405, message: 'method' } });
      if (!o) return notFound(res, `object ${name}`);
      if (u.searchParams.get('alt') !== 'media') return json(res, 200, o.resource);
      const range = /bytes=(\d+)-(\d*)/.exec(String(req.headers.range ?? ''));
      const hash = `crc32c=${o.resource.crc32c},md5=${o.resource.md5Hash}`;
      if (range) {
        const s = Number(range[1]);
        const e = Math.min(o.data.length - 1, range[2] ? Number(range[2]) : o.data.length - 1);
        res.writeHead(206, { 'content-range': `bytes ${s}-${e}/${o.data.length}`, 'content-length': e - s + 1, 'content-type': 'application/octet-stream' });
        return res.end(o.data.subarray(s, e + 1));
      }
      res.writeHead(200, { 'content-length': o.data.length, 'x-goog-hash': hash, 'content-type': 'application/octet-stream' });
      return res.end(o.data);
    }
    json(res, 404, { error: { code: 404, message: `no route ${req.method} ${p}` } });
  };

  const listen = () => new Promise<void>((res, rej) => {
    server = createServer((req, r) => { handler(req, r).catch((e) => { try { json(r, 500, { error: { code: 500, message: String(e) } }); } catch { /* gone */ } }); });
    server.keepAliveTimeout = 65_000;
    server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
    server.once('error', rej);
    server.listen(port, '127.0.0.1', () => { port = (server!.address() as { port: number }).port; res(); });
  });
  await listen();
  buckets.set(bucket, new Map());
  let n = 0;
  const opts = () => ({ endpointurl: `http://127.0.0.1:${port}` });
  return {
    name: 'gcs-fake',
    buckets,
    url: `gs://${bucket}/dvc-data`,
    get options() { return opts(); },
    async newRemote(tag: string) {
      const b = `${bucket}-${tag}-${++n}`.toLowerCase();
      buckets.set(b, new Map());
      return { url: `gs://${b}/dvc-data`, options: opts() };
    },
    async kill() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
      server = undefined;
    },
    async restart() { await listen(); },
    async stop() { for (const s of sockets) s.destroy(); await new Promise<void>((r) => (server ? server.close(() => r()) : r())); server = undefined; buckets.clear(); },
  };
}

function splitMultipart(body: Buffer, boundary: string): Buffer[] {
  const sep = Buffer.from(`--${boundary}`);
  const parts: Buffer[] = [];
  let i = body.indexOf(sep);
  while (i >= 0) {
    const start = i + sep.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(sep, start);
    if (next < 0) break;
    const part = body.subarray(start + 2, next - 2); // skip CRLF after boundary and before next
    const hdrEnd = part.indexOf('\r\n\r\n');
    parts.push(part.subarray(hdrEnd + 4));
    i = next;
  }
  return parts;
}
