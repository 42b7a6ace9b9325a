import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDvcFile } from './dvcfile.js';
import { importChecksumChanged, readImport, serializeImportDvcFile, stageMd5 } from './imports.js';

const G = join(fileURLToPath(import.meta.url), '..', '..', '..', '..', 'test', 'fixtures', 'dvc-goldens');
const golden = (p: string) => readFileSync(join(G, p), 'utf8');

test('repo import .dvc files: parsed and re-serialized byte-identical to DVC (stage md5 included)', () => {
  for (const f of ['09-import/labels.geojson.dvc', '09-import/imagery.dvc', '09-import/labels-v1.geojson.dvc', '09-import/labels.geojson.updated.dvc']) {
    const text = golden(f);
    const file = parseDvcFile(text, `/r/${f.split('/')[1]}`);
    const info = readImport(file)!;
    assert.equal(info.dep.kind, 'repo', f);
    assert.equal(info.frozen, true);
    const o = file.outs[0]!;
    const again = serializeImportDvcFile({ dep: info.dep, out: { path: o.path, hashName: o.hashName, oid: o.oid, size: o.size, nfiles: o.nfiles } });
    assert.equal(again, text, f);
    assert.equal(importChecksumChanged(file), false, f);
  }
});

test('import-url .dvc files: deps with hashes; --no-exec without md5 reports a changed checksum', () => {
  for (const f of ['10-import-url/file.csv.dvc', '10-import-url/dir.dvc', '10-import-url/renamed.csv.dvc', '10-import-url/file.csv.updated.dvc', '10-import-url/noexec.csv.dvc']) {
    const text = golden(f);
    const file = parseDvcFile(text, `/r/${f.split('/')[1]}`);
    const info = readImport(file)!;
    assert.equal(info.dep.kind, 'url', f);
    const o = file.outs[0]!;
    const noexec = f.endsWith('noexec.csv.dvc');
    const again = serializeImportDvcFile({ dep: info.dep, out: { path: o.path, hashName: o.hashName, oid: o.oid, size: o.size, nfiles: o.nfiles }, withMd5: !noexec });
    assert.equal(again, text, f);
    assert.equal(importChecksumChanged(file), noexec, f);
  }
});

test('stage md5 ignores frozen/size/nfiles/meta at any depth but not paths or hashes', () => {
  const base = { deps: [{ path: 'a', repo: { url: 'u', rev_lock: 'x' } }], outs: [{ md5: 'm', hash: 'md5', path: 'a' }] };
  const m = stageMd5(base);
  assert.equal(stageMd5({ ...base, frozen: true, meta: { k: 1 }, outs: [{ ...base.outs[0], size: 3, nfiles: 2 }] }), m);
  assert.notEqual(stageMd5({ ...base, outs: [{ ...base.outs[0], path: 'b' }] }), m);
  assert.equal(readImport(parseDvcFile('outs:\n- md5: 0cc175b9c0f1b6a831c399e269772661\n  hash: md5\n  path: a\n', '/r/a.dvc')), undefined);
});
