import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { LocalBackend } from '../../storage/backends/local.js';
import { hashBuffer, initHashers } from '../odb/hash.js';
import { PackWriter, indexKey, loadRemotePacks, packKey, parsePackIndex, readPackRange, serializePackIndex } from './pack.js';

test('pack index: round trip, named by its own hash; a changed or inconsistent index is refused', async () => {
  await initHashers();
  const entries = [{ hash: 'a'.repeat(32), offset: 0, size: 10 }, { hash: 'b'.repeat(32), offset: 10, size: 5 }];
  const { id, text } = serializePackIndex('xxh128', 15, entries);
  assert.equal(id, hashBuffer(text, 'xxh128'));
  const ix = parsePackIndex(id, text);
  assert.deepEqual(ix, { id, chunkHash: 'xxh128', size: 15, entries });
  const edited = Buffer.from(text.toString().replace('"size":15', '"size":16'));
  assert.throws(() => parsePackIndex(id, edited), /does not hash to its name/);
  const overlap = serializePackIndex('xxh128', 15, [entries[0]!, { ...entries[1]!, offset: 5 }]);
  assert.throws(() => parsePackIndex(overlap.id, overlap.text), /bad chunk entry/);
  const past = serializePackIndex('xxh128', 12, entries);
  assert.throws(() => parsePackIndex(past.id, past.text), /bad chunk entry/);
});

test('PackWriter on a local remote: packs of the target size, each with its index; chunks read back by range', async () => {
  await initHashers();
  const dir = mkdtempSync(join(tmpdir(), 'geodvc-pack-'));
  try {
    const b = new LocalBackend(dir);
    const w = new PackWriter({ backend: b, local: b, tmpDir: join(dir, 'tmp'), chunkHash: 'xxh128', target: 2 << 20, concurrency: 1, partSize: 5 << 20 });
    const chunks = Array.from({ length: 12 }, (_, i) => randomBytes((512 << 10) + i * 1000));
    for (const c of chunks) await w.append(hashBuffer(c, 'xxh128'), c);
    await w.append(hashBuffer(chunks[0]!, 'xxh128'), chunks[0]!); // a repeat is stored once
    await w.finish();
    assert.equal(w.stored.size, 12);
    assert.equal(w.sealed.length, 3, '12 chunks of just over 0.5 MiB: 4 to a pack of >= 2 MiB');
    const packs = await loadRemotePacks(b);
    assert.equal(packs.indexes.size, 3);
    assert.deepEqual(packs.unindexed, []);
    assert.equal(readdirSync(join(dir, 'chunked', 'packs')).filter((n) => n.endsWith('.tmp')).length, 0, 'no temp file left');
    for (const c of chunks) {
      const h = hashBuffer(c, 'xxh128');
      const [loc] = packs.locate(h, c.length);
      assert.ok(loc, 'every chunk is in a pack');
      const buf = Buffer.alloc(c.length);
      assert.equal(await readPackRange(b, b, loc.pack, loc.offset, c.length, buf), c.length);
      assert.ok(buf.equals(c));
      assert.equal(packs.locate(h, c.length + 1).length, 0, 'a size mismatch is no match');
    }
    // a pack truncated behind our back is not trusted; its index is then dangling
    const [victim] = packs.indexes.keys();
    writeFileSync(join(dir, ...packKey(victim!).split('/')), readFileSync(join(dir, ...packKey(victim!).split('/'))).subarray(1));
    const after = await loadRemotePacks(b, { cacheDir: join(dir, 'cache') });
    assert.equal(after.indexes.size, 2);
    assert.deepEqual(after.dangling.map((d) => d.id), [victim]);
    // the index cache is used on the next load (and refused when damaged)
    assert.equal(readdirSync(join(dir, 'cache', 'packindex')).length, 3);
    const cached = join(dir, 'cache', 'packindex', victim!);
    writeFileSync(cached, 'garbage');
    const again = await loadRemotePacks(b, { cacheDir: join(dir, 'cache') });
    assert.equal(again.dangling.length, 1);
    assert.equal(readFileSync(cached, 'utf8'), readFileSync(join(dir, ...indexKey(victim!).split('/')), 'utf8'), 'damaged cache entry fetched again');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
