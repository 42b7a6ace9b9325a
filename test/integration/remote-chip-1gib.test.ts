/**
 * Issue 9, done-when: a 1 GiB COG served by the S3 test server (s3rver, through the real
 * @aws-sdk/client-s3 backend) and by the node:http test server; `geo chip --remote` cuts a 2048x2048
 * window of it in place. The bytes the server sent are counted by a TCP proxy between geodvc and the
 * server (every byte on the wire, HTTP headers included) and must stay under 5 % of the file; the
 * chips and the chip index must equal those cut from the local copy with the same options.
 *
 * The COG (32768x32768 Byte, tiles 512, uncompressed: 1 GiB of pixels + a 32 KiB header with the
 * IFD and tile arrays in front, GDAL's COG layout without overviews) is written by the test in a
 * few seconds: one pseudo-random base tile, XORed with a per-tile constant, so every tile differs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readFileSync, readdirSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { makeTmpDir, gitInit, git } from '../helpers/tmp.js';
import { cliOk } from '../helpers/cli.js';
import { startOrSkip, type TestServer } from '../helpers/servers/index.js';
import { startS3rver } from '../helpers/servers/s3rver.js';
import { startHttpServer } from '../helpers/servers/http-server.js';

const W = 32768, TILE = 512;
const ORIGIN = [400000, 5200000], RES = 10; // EPSG:32633

/** Writes a tiled, uncompressed Byte GeoTIFF (classic TIFF, little-endian), header first. */
function writeBigCog(path: string): number {
  const nt = (W / TILE) ** 2;
  const tileBytes = TILE * TILE;
  type E = [tag: number, type: number, count: number, value: number[] | Buffer];
  const geoKeys = [1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 32633];
  const f64 = (v: number[]) => { const b = Buffer.alloc(v.length * 8); v.forEach((x, i) => b.writeDoubleLE(x, i * 8)); return b; };
  const entries: E[] = [
    [256, 4, 1, [W]], [257, 4, 1, [W]], [258, 3, 1, [8]], [259, 3, 1, [1]], [262, 3, 1, [1]], [277, 3, 1, [1]],
    [284, 3, 1, [1]], [322, 3, 1, [TILE]], [323, 3, 1, [TILE]], [324, 4, nt, []], [325, 4, nt, []], [339, 3, 1, [1]],
    [33550, 12, 3, f64([RES, RES, 0])], [33922, 12, 6, f64([0, 0, 0, ORIGIN[0]!, ORIGIN[1]!, 0])], [34735, 3, geoKeys.length, geoKeys],
  ];
  const ifdSize = 2 + entries.length * 12 + 4;
  let extra = 8 + ifdSize;
  const extraAt = new Map<number, number>();
  const size = (e: E) => (Buffer.isBuffer(e[3]) ? e[3].length : e[2] * (e[1] === 3 ? 2 : 4));
  for (const e of entries) if (size(e) > 4) { extraAt.set(e[0], extra); extra += size(e); extra += extra % 2; }
  const dataStart = Math.ceil(extra / 4096) * 4096;
  const head = Buffer.alloc(dataStart);
  head.write('II', 0, 'latin1'); head.writeUInt16LE(42, 2); head.writeUInt32LE(8, 4);
  head.writeUInt16LE(entries.length, 8);
  entries.forEach((e, k) => {
    const o = 10 + k * 12;
    head.writeUInt16LE(e[0], o); head.writeUInt16LE(e[1], o + 2); head.writeUInt32LE(e[2], o + 4);
    const at = extraAt.get(e[0]);
    const put = (b: Buffer, p: number) => {
      if (e[0] === 324) for (let i = 0; i < nt; i++) b.writeUInt32LE(dataStart + i * tileBytes, p + i * 4);
      else if (e[0] === 325) for (let i = 0; i < nt; i++) b.writeUInt32LE(tileBytes, p + i * 4);
      else if (Buffer.isBuffer(e[3])) e[3].copy(b, p);
      else e[3].forEach((v, i) => (e[1] === 3 ? b.writeUInt16LE(v, p + i * 2) : b.writeUInt32LE(v, p + i * 4)));
    };
    if (at === undefined) put(head, o + 8); else { head.writeUInt32LE(at, o + 8); put(head, at); }
  });
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, head);
    const base = new Uint32Array(tileBytes / 4);
    let s = 0x2545f491;
    for (let i = 0; i < base.length; i++) { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; base[i] = s >>> 0; }
    const per = 64;
    const buf = new Uint32Array((tileBytes / 4) * per);
    for (let t0 = 0; t0 < nt; t0 += per) {
      for (let k = 0; k < per; k++) {
        const x = Math.imul(t0 + k + 1, 0x9e3779b1) >>> 0;
        const o = k * base.length;
        for (let i = 0; i < base.length; i++) buf[o + i] = base[i]! ^ x;
      }
      writeSync(fd, new Uint8Array(buf.buffer));
    }
  } finally { closeSync(fd); }
  return dataStart + nt * tileBytes;
}

/** A TCP proxy to 127.0.0.1:port that counts the bytes the server sends. */
async function countingProxy(port: number): Promise<{ port: number; received: () => number; reset: () => void; close: () => Promise<void> }> {
  let received = 0;
  const socks = new Set<Socket>();
  const server: Server = createServer((c) => {
    const up = connect(port, '127.0.0.1');
    socks.add(c); socks.add(up);
    up.on('data', (d) => { received += d.length; });
    c.pipe(up); up.pipe(c);
    const end = () => { c.destroy(); up.destroy(); socks.delete(c); socks.delete(up); };
    c.on('error', end); up.on('error', end); c.on('close', end); up.on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as { port: number }).port,
    received: () => received,
    reset: () => { received = 0; },
    close: () => new Promise<void>((r) => { for (const s of socks) s.destroy(); server.close(() => r()); }),
  };
}

test('geo chip --remote: a 2048x2048 window of a 1 GiB COG from s3rver and node-http reads < 5 % of it, chips equal the local ones', { timeout: 600_000 }, async (t) => {
  const { dir, cleanup } = makeTmpDir('remote-chip-1gib-');
  t.after(cleanup);
  const servers: TestServer[] = [];
  t.after(async () => { for (const s of servers) await s.stop().catch(() => {}); });
  const proxies: Awaited<ReturnType<typeof countingProxy>>[] = [];
  t.after(async () => { for (const p of proxies) await p.close(); });

  gitInit(dir);
  await cliOk(['init', '-q'], { cwd: dir });
  appendFileSync(join(dir, '.dvc', 'config'), '[cache]\n    type = hardlink,copy\n');
  const t0 = Date.now();
  const big = join(dir, 'big.tif');
  const size = writeBigCog(big);
  assert.equal(statSync(big).size, size);
  assert.ok(size >= 2 ** 30, `${size} bytes`);
  const gi = JSON.parse(execFileSync('gdalinfo', ['-json', big], { encoding: 'utf8' }));
  assert.deepEqual(gi.size, [W, W]);
  assert.deepEqual(gi.bands[0].block, [TILE, TILE]);
  t.diagnostic(`wrote ${size} bytes in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await cliOk(['add', '-q', 'big.tif'], { cwd: dir });
  git(dir, 'add', '-A'); git(dir, 'commit', '-q', '-m', 'big cog');
  const oid = /md5: ([0-9a-f]{32})/.exec(readFileSync(join(dir, 'big.tif.dvc'), 'utf8'))![1]!;

  // the window: chip grid row 5, column 9 of 2048x2048 chips, selected by an AOI strictly inside it
  const [col, row] = [9, 5];
  const x0 = ORIGIN[0]! + (col * 2048 + 10) * RES, x1 = ORIGIN[0]! + ((col + 1) * 2048 - 10) * RES;
  const y1 = ORIGIN[1]! - (row * 2048 + 10) * RES, y0 = ORIGIN[1]! - ((row + 1) * 2048 - 10) * RES;
  const aoi = join(dir, 'aoi.geojson');
  writeFileSync(aoi, JSON.stringify({ type: 'FeatureCollection', crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::32633' } },
    features: [{ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] } }] }));
  const opts = ['--size', '2048', '--aoi', aoi];
  const t1 = Date.now();
  // the reference: the same own TIFF reader that cuts remote inputs (a local chip runs on native
  // GDAL by default, whose DEFLATE output bytes differ)
  const local = JSON.parse((await cliOk(['geo', 'chip', '--input', 'big.tif', '--output', join(dir, 'c-local'), ...opts, '--json'], { cwd: dir, env: { GEODVC_GDAL_ENGINE: 'wasm' } })).stdout);
  assert.equal(local.chips, 1);
  t.diagnostic(`local chip in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
  const localChip = readFileSync(join(dir, 'c-local', `big_r${row}_c${col}.tif`));
  const localIndex = readFileSync(join(dir, 'c-local', 'chips.geojson'), 'utf8');
  // oracle: the chip holds the pixels of that window (native GDAL)
  const ref = join(dir, 'ref.tif');
  execFileSync('gdal_translate', ['-q', '-srcwin', String(col * 2048), String(row * 2048), '2048', '2048', big, ref]);
  const cks = (p: string) => JSON.parse(execFileSync('gdalinfo', ['-json', '-checksum', p], { encoding: 'utf8' })).bands.map((b: any) => b.checksum);
  assert.deepEqual(cks(join(dir, 'c-local', `big_r${row}_c${col}.tif`)), cks(ref));

  for (const [name, start] of [['s3rver', () => startS3rver()], ['node-http', () => startHttpServer()]] as const) {
    const srv = await startOrSkip(t, name, start as () => Promise<TestServer>);
    if (!srv) continue;
    servers.push(srv);
    const rem = await srv.newRemote('big');
    const rname = name.replace(/-/g, '');
    const o = rem.options as Record<string, string>;
    const endpoint = name === 's3rver' ? o.endpointurl! : rem.url;
    const port = Number(new URL(endpoint).port);
    const proxy = await countingProxy(port);
    proxies.push(proxy);
    const cfg = (n: string, url: string, options: Record<string, string>) => `['remote "${n}"']\n    url = ${url}\n${Object.entries(options).map(([k, v]) => `    ${k} = ${v}\n`).join('')}`;
    const via = (u: string) => u.replace(`127.0.0.1:${port}`, `127.0.0.1:${proxy.port}`);
    // `rname` for the push; `rname`p reads the same data through the counting proxy. The push to
    // s3rver goes as one PUT (part_size above the file size): multipart would make s3rver store the
    // 64 parts and then copy them into the object, ~5 s of its CPU for nothing this test reads
    // (multipart pushes are the storage round trips'); the chip reads the same object either way
    appendFileSync(join(dir, '.dvc', 'config.local'), cfg(rname, rem.url, name === 's3rver' ? { ...o, part_size: String(2 ** 31) } : o)
      + cfg(`${rname}p`, name === 's3rver' ? rem.url : via(rem.url), name === 's3rver' ? { ...o, endpointurl: via(o.endpointurl!) } : o));
    const tp = Date.now();
    await cliOk(['push', '-q', '-r', rname], { cwd: dir });
    t.diagnostic(`${name}: pushed in ${((Date.now() - tp) / 1000).toFixed(1)} s`);
    proxy.reset();
    const tc = Date.now();
    const res = JSON.parse((await cliOk(['geo', 'chip', '--input', 'big.tif', '-r', `${rname}p`, '-j', '4', '--output', join(dir, `c-${rname}`), ...opts, '--json'], { cwd: dir })).stdout);
    const wire = proxy.received();
    t.diagnostic(`${name}: 1 chip in ${((Date.now() - tc) / 1000).toFixed(1)} s; ${wire} bytes on the wire from the server (${(wire / size * 100).toFixed(3)} % of ${size}), ${res.bytesRead} bytes of object data in ${res.requests} GETs`);
    assert.equal(res.chips, 1);
    assert.deepEqual(res.sources, [{ path: 'big.tif', oid, size, from: `remote:${rname}p` }]);
    assert.ok(wire > 2048 * 2048, 'the window pixels came through the proxy');
    assert.ok(wire < 0.05 * size, `${name}: ${wire} bytes = ${(wire / size * 100).toFixed(2)} % of the file`);
    assert.ok(wire >= res.bytesRead, 'the client cannot have received more than the wire carried');
    assert.deepEqual(readdirSync(join(dir, `c-${rname}`)).sort(), ['big_r5_c9.tif', 'chips.geojson']);
    assert.ok(readFileSync(join(dir, `c-${rname}`, `big_r${row}_c${col}.tif`)).equals(localChip), `${name}: chip differs from the local one`);
    assert.equal(readFileSync(join(dir, `c-${rname}`, 'chips.geojson'), 'utf8'), localIndex);
  }
  if (!servers.length) t.skip('no server could start');
});
