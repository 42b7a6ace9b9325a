import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ObjectDB, parseLinkTypes, unprotectFile } from './odb.js';
import { buildTree } from './tree.js';
import { initHashers } from './hash.js';
import { ConfigError, InvalidFileError } from '../../lib/errors.js';

function tmp() { return mkdtempSync(join(tmpdir(), 'geodvc-odb-')); }

test('addFile: one pass hash+copy, 0o444, DVC path; has/link per type; unprotect', async () => {
  const d = tmp();
  try {
    const cache = join(d, 'cache');
    const odb = new ObjectDB(cache);
    writeFileSync(join(d, 'foo'), 'foo');
    const r = await odb.addFile(join(d, 'foo'), 'md5');
    assert.deepEqual(r, { oid: 'acbd18db4cc2f85cedef654fccc4a4d8', size: 3, added: true });
    const p = join(cache, 'files/md5/ac/bd18db4cc2f85cedef654fccc4a4d8');
    assert.equal(readFileSync(p, 'utf8'), 'foo');
    assert.equal(statSync(p).mode & 0o777, 0o444);
    assert.equal(odb.has('md5', r.oid, 3), true);
    assert.equal((await odb.addFile(join(d, 'foo'), 'md5', r.oid, { size: 3 })).added, false);
    // no temp files left behind
    assert.deepEqual(readdirSync(cache).sort(), ['files']);
    for (const t of ['copy', 'hardlink', 'symlink'] as const) {
      const dest = join(d, 'ws', t, 'foo');
      assert.equal(odb.link('md5', r.oid, dest, [t]), t);
      assert.equal(readFileSync(dest, 'utf8'), 'foo');
      if (t === 'copy') assert.equal(statSync(dest).mode & 0o777, 0o644);
      if (t === 'hardlink') assert.equal(statSync(dest).ino, statSync(p).ino);
      if (t === 'symlink') assert.ok(lstatSync(dest).isSymbolicLink());
      if (t !== 'copy') {
        unprotectFile(dest);
        assert.ok(!lstatSync(dest).isSymbolicLink());
        assert.notEqual(statSync(dest).ino, statSync(p).ino);
        writeFileSync(dest, 'changed');
        assert.equal(readFileSync(p, 'utf8'), 'foo', 'cache object untouched');
      }
    }
    // reflink is not supported on ext4/tmpfs: falls back to copy (DVC default reflink,copy)
    const used = odb.link('md5', r.oid, join(d, 'ws', 'dflt'), parseLinkTypes(undefined));
    assert.ok(used === 'copy' || used === 'reflink');
  } finally { rmSync(d, { recursive: true, force: true }); }
});

test('untrusted objects are re-verified: a writable corrupt object is removed, a good one protected', async () => {
  const d = tmp();
  try {
    const odb = new ObjectDB(join(d, 'cache'));
    writeFileSync(join(d, 'bar'), 'bar');
    const { oid } = await odb.addFile(join(d, 'bar'), 'md5');
    const p = odb.path('md5', oid);
    chmodSync(p, 0o644);
    assert.equal(odb.has('md5', oid), true);
    assert.equal(statSync(p).mode & 0o777, 0o444);
    chmodSync(p, 0o644);
    writeFileSync(p, 'baX'); // half-written / corrupted, same size
    assert.equal(odb.has('md5', oid), false);
    assert.equal(existsSync(p), false);
    assert.equal(await odb.verify('md5', oid), 'missing');
  } finally { rmSync(d, { recursive: true, force: true }); }
});

test('addBytes + readTree validates hash and content; xxh128 objects under files/xxh128', async () => {
  await initHashers();
  const d = tmp();
  try {
    const odb = new ObjectDB(join(d, 'cache'));
    const t = buildTree('md5', [{ relpath: 'foo', oid: 'acbd18db4cc2f85cedef654fccc4a4d8' }, { relpath: 'bar', oid: '37b51d194a7513e45b56f6524f2d51f2' }]);
    odb.addBytes(t.bytes, 'md5', t.oid);
    assert.equal(t.oid, '5ea40360f5b4ec688df672a4db9c17d1.dir');
    assert.equal(odb.readTree('md5', t.oid).entries.length, 2);
    const p = odb.path('md5', t.oid);
    chmodSync(p, 0o644);
    writeFileSync(p, '[{"md5": "acbd18db4cc2f85cedef654fccc4a4d8", "relpath": "../x"}]');
    assert.throws(() => odb.readTree('md5', t.oid), InvalidFileError);
    writeFileSync(join(d, 'x'), 'foo');
    const r = await odb.addFile(join(d, 'x'), 'xxh128');
    assert.equal(r.oid, '79aef92e83454121ab6e5f64077e7d8a');
    assert.ok(existsSync(join(d, 'cache/files/xxh128/79/aef92e83454121ab6e5f64077e7d8a')));
  } finally { rmSync(d, { recursive: true, force: true }); }
});

test('parseLinkTypes', () => {
  assert.deepEqual(parseLinkTypes(undefined), ['reflink', 'copy']);
  assert.deepEqual(parseLinkTypes('hardlink, symlink'), ['hardlink', 'symlink']);
  assert.throws(() => parseLinkTypes('teleport'), ConfigError);
});
