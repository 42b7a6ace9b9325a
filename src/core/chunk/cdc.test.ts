import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cdcLengths, checkParams, GEAR, nextCut, nextCutScalar, DEFAULT_CDC, type CdcParams } from './cdc.js';
import { tilePieces, MIN_PIECE } from './chunker.js';
import { parseChunkList, serializeChunkList, listKey, chunkKey, type ChunkList } from './list.js';

const P: CdcParams = { min: 2 << 10, avg: 8 << 10, max: 32 << 10 };

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; b[i] = s >>> 24; }
  return b;
}

test('cdc: chunk sizes stay within min..max, add up to the input, and do not depend on the run', () => {
  const b = bytes(2 << 20, 1);
  const a = cdcLengths(b, P);
  assert.equal(a.reduce((s, n) => s + n, 0), b.length);
  for (const n of a.slice(0, -1)) assert.ok(n >= P.min && n <= P.max, `chunk of ${n}`);
  const mean = b.length / a.length;
  assert.ok(mean > P.avg / 2 && mean < P.avg * 2, `mean chunk ${mean}`);
  assert.deepEqual(cdcLengths(b, P), a);
  assert.equal(GEAR.length, 256);
  assert.equal(GEAR[0], 1240552063, 'the gear table is fixed (changing it changes every chunk id)');
});

test('cdc: bytes inserted in the middle change only the chunks around them', () => {
  const b = bytes(4 << 20, 2);
  const ins = bytes(1000, 9);
  const mid = 2 << 20;
  const c = new Uint8Array(b.length + ins.length);
  c.set(b.subarray(0, mid)); c.set(ins, mid); c.set(b.subarray(mid), mid + ins.length);
  const key = (buf: Uint8Array, lens: number[]) => { const out = new Set<string>(); let o = 0; for (const n of lens) { out.add(Buffer.from(buf.subarray(o, o + n)).toString('base64')); o += n; } return out; };
  const la = cdcLengths(b, P); const lc = cdcLengths(c, P);
  const old = key(b, la);
  let changed = 0; let o = 0;
  for (const n of lc) { if (!old.has(Buffer.from(c.subarray(o, o + n)).toString('base64'))) changed += n; o += n; }
  assert.ok(changed <= ins.length + 2 * P.max, `changed ${changed} bytes`);
  assert.ok(changed > 0);
});

test('cdc: the word-at-a-time scan cuts exactly where the byte-at-a-time reference does', () => {
  // every alignment of the view and of the start, both masks, final and not, chunks cut by the
  // hard mask, the easy mask and the maximum, and inputs of low entropy (runs, a short cycle)
  const params: CdcParams[] = [P, { min: 64, avg: 256, max: 1024 }, { min: 1, avg: 1, max: 8 }, { min: 256, avg: 256, max: 256 }];
  const inputs = [bytes(300_000, 7), new Uint8Array(70_000).fill(3), Uint8Array.from({ length: 90_000 }, (_, i) => (i * 7) % 13)];
  let cuts = 0;
  for (const p of params) {
    for (const src of inputs) {
      for (let shift = 0; shift < 4; shift++) {
        const backing = new Uint8Array(src.length + 8);
        backing.set(src, shift);
        const buf = backing.subarray(shift, shift + src.length);
        for (const final of [true, false]) {
          let pos = 0;
          while (pos < buf.length) {
            const end = Math.min(buf.length, pos + 3 * p.max + (pos % 5));
            const a = nextCut(buf, pos, end, p, final);
            assert.equal(a, nextCutScalar(buf, pos, end, p, final), `shift ${shift} pos ${pos} end ${end} ${JSON.stringify(p)}`);
            cuts++;
            pos += a > 0 ? a : p.max;
          }
        }
      }
    }
  }
  // the default parameters over a few MiB (what push uses)
  const big = bytes(12 << 20, 11);
  for (let pos = 0; pos < big.length;) {
    const a = nextCut(big, pos, big.length, DEFAULT_CDC, true);
    assert.equal(a, nextCutScalar(big, pos, big.length, DEFAULT_CDC, true));
    pos += a; cuts++;
  }
  assert.ok(cuts > 1000, `${cuts} cuts compared`);
});

test('cdc: invalid parameters are refused', () => {
  assert.throws(() => checkParams({ min: 10, avg: 1000, max: 4000 }), /power of two/);
  assert.throws(() => checkParams({ min: 4096, avg: 1024, max: 8192 }), RangeError);
});

test('tilePieces: tiles are chunks, small gaps join the chunk before, the header stays apart, huge gaps go to CDC', () => {
  const T = 100_000;
  const blocks = [{ start: 1000, end: 1000 + T }, { start: 1000 + T + 10, end: 1000 + 2 * T + 10 }, { start: 10_000_000, end: 10_000_000 + T }];
  const p = tilePieces(10_000_000 + T + 5, blocks, 4 << 20);
  assert.deepEqual(p, [
    { start: 0, end: 1000, cdc: false },
    { start: 1000, end: 1000 + T + 10, cdc: false },
    { start: 1000 + T + 10, end: 1000 + 2 * T + 10, cdc: false },
    { start: 1000 + 2 * T + 10, end: 10_000_000, cdc: true },
    { start: 10_000_000, end: 10_000_000 + T + 5, cdc: false },
  ]);
  // tiny tiles are merged up to MIN_PIECE
  const tiny = Array.from({ length: 100 }, (_, i) => ({ start: 100 + i * 1000, end: 100 + (i + 1) * 1000 }));
  const q = tilePieces(100 + 100 * 1000, tiny, 4 << 20);
  assert.equal(q[0]!.end, 100);
  for (const x of q.slice(1, -1)) assert.ok(x.end - x.start >= MIN_PIECE);
  assert.equal(q.at(-1)!.end, 100 + 100 * 1000);
});

test('chunk lists: round trip, and a list that lies about its object or its sizes is refused', () => {
  const l: ChunkList = { version: 1, hash: 'md5', oid: 'a'.repeat(32), size: 30, chunkHash: 'xxh128', mode: 'tiles', chunks: [{ hash: 'b'.repeat(32), size: 10 }, { hash: 'c'.repeat(32), size: 20 }] };
  const text = serializeChunkList(l);
  assert.deepEqual(parseChunkList(text, { hash: 'md5', oid: l.oid, size: 30 }), l);
  assert.throws(() => parseChunkList(text, { hash: 'md5', oid: 'd'.repeat(32) }), /describes/);
  assert.throws(() => parseChunkList(text.replace('"size":30', '"size":31')), /add up/);
  assert.throws(() => parseChunkList(text.replace('"version":1', '"version":9')), /version 9/);
  assert.throws(() => parseChunkList('{'), /not JSON/);
  assert.equal(listKey('md5', l.oid), `chunked/lists/md5/aa/${'a'.repeat(30)}`);
  assert.equal(chunkKey('xxh128', 'b'.repeat(32)), `chunked/data/xxh128/bb/${'b'.repeat(30)}`);
});
