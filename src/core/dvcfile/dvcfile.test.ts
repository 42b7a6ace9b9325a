import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDvcFile, serializeNewDvcFile, serializeUpdatedDvcFile } from './dvcfile.js';
import { InvalidFileError } from '../../lib/errors.js';

const GOLDENS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'dvc-goldens');

test('new .dvc files are byte-identical to DVC 3.64 (golden 02-files, 03-directory)', () => {
  const cases: [string, Parameters<typeof serializeNewDvcFile>[0]][] = [
    ['02-files/foo.dvc', [{ path: 'foo', hashName: 'md5', oid: 'acbd18db4cc2f85cedef654fccc4a4d8', size: 3 }]],
    ['02-files/big.txt.dvc', [{ path: 'big.txt', hashName: 'md5', oid: '8e32e22642bddc89698e25a4e9bf528b', size: 3000000 }]],
    ['03-directory/data/imagery.dvc', [{ path: 'imagery', hashName: 'md5', oid: '658f4336679a7c1b3860e17effa0090f.dir', size: 22, nfiles: 10 }]],
  ];
  for (const [golden, outs] of cases) assert.equal(serializeNewDvcFile(outs), readFileSync(join(GOLDENS, golden), 'utf8'), golden);
});

test('legacy DVC 2 entry: no hash key means md5-dos2unix', () => {
  const f = parseDvcFile('outs:\n- md5: c32b2057b9bd62caa835386346177935\n  size: 7\n  path: legacy.txt\n', '/r/legacy.txt.dvc');
  assert.equal(f.outs[0]!.hashName, 'md5-dos2unix');
  assert.equal(f.outs[0]!.absPath, '/r/legacy.txt');
  // unchanged legacy entries are written back without hash:
  assert.equal(serializeNewDvcFile([{ path: 'legacy.txt', hashName: 'md5-dos2unix', oid: 'c32b2057b9bd62caa835386346177935', size: 7 }]),
    'outs:\n- md5: c32b2057b9bd62caa835386346177935\n  size: 7\n  path: legacy.txt\n');
});

test('rewriting keeps comments, annotations and user keys; changed values in place', () => {
  const text = '# a comment kept by DVC\nouts:\n- md5: 0cc175b9c0f1b6a831c399e269772661\n  size: 2\n  isexec: true\n  hash: md5\n  path: tool.sh\n  desc: a tool\n  type: script\n  labels: [a, b]\n  meta: {k: v}\n  push: false\n  remote: other\n';
  const f = parseDvcFile(text, '/r/tool.sh.dvc');
  assert.equal(f.outs[0]!.push, false);
  assert.equal(f.outs[0]!.remote, 'other');
  const out = serializeUpdatedDvcFile(f, [{ path: 'tool.sh', hashName: 'md5', oid: '415290769594460e2e485922904f345d', size: 1, isexec: true }]);
  assert.equal(out, text.replace('0cc175b9c0f1b6a831c399e269772661', '415290769594460e2e485922904f345d').replace('size: 2', 'size: 1'));
});

test('legacy entry upgraded to md5 when content changes: hash key appended', () => {
  const f = parseDvcFile('outs:\n- md5: c32b2057b9bd62caa835386346177935\n  size: 7\n  path: legacy.txt\n', '/r/legacy.txt.dvc');
  const out = serializeUpdatedDvcFile(f, [{ path: 'legacy.txt', hashName: 'md5', oid: '17800212205a0baee12dcf34c0748371', size: 8 }]);
  assert.equal(out, 'outs:\n- md5: 17800212205a0baee12dcf34c0748371\n  size: 8\n  path: legacy.txt\n  hash: md5\n');
});

test('xxh128 entries', () => {
  const text = serializeNewDvcFile([{ path: 'a.tif', hashName: 'xxh128', oid: '79aef92e83454121ab6e5f64077e7d8a', size: 3 }]);
  assert.equal(text, 'outs:\n- xxh128: 79aef92e83454121ab6e5f64077e7d8a\n  size: 3\n  hash: xxh128\n  path: a.tif\n');
  const f = parseDvcFile(text, '/r/a.tif.dvc');
  assert.equal(f.outs[0]!.hashName, 'xxh128');
  assert.equal(f.outs[0]!.oid, '79aef92e83454121ab6e5f64077e7d8a');
});

test('corrupted or hostile .dvc files are refused with InvalidFileError', () => {
  const bad = [
    '', 'outs: 3\n', '- a\n', 'outs:\n- size: 1\n', 'outs:\n- md5: zz\n  path: a\n', 'outs:\n- md5: acbd18db4cc2f85cedef654fccc4a4d8\n  path: ../x\n',
    'outs:\n- md5: acbd18db4cc2f85cedef654fccc4a4d8\n  path: /etc/passwd\n', 'outs:\n- md5: acbd18db4cc2f85cedef654fccc4a4d8\n  size: -1\n  path: a\n',
    'outs:\n- md5: acbd18db4cc2f85cedef654fccc4a4d8\n  hash: crc\n  path: a\n', 'outs: [\n', 'outs:\n- path: a\n  path: b\n',
  ];
  for (const b of bad) assert.throws(() => parseDvcFile(b, '/r/x.dvc'), InvalidFileError, JSON.stringify(b));
});

test('outputs inside .git or .dvc are refused in every spelling, with a hint that offers no override (issue 17)', () => {
  for (const p of ['.git/hooks/post-checkout', '.git', '.GIT/config', 'a/.Git/b', '.dvc/config', '.dvc/cache/x', '.dvc/tmp/x', '.git./config', 'git~1/config', 'sub\\.git\\config']) {
    const text = `outs:\n- md5: acbd18db4cc2f85cedef654fccc4a4d8\n  size: 3\n  hash: md5\n  path: ${JSON.stringify(p)}\n`;
    assert.throws(() => parseDvcFile(text, '/r/evil.dvc'), (e: any) => e.code === 'reserved-path' && e.message.includes('/r/evil.dvc') && !/--force/.test(e.hint), p);
  }
  const ok = parseDvcFile('outs:\n- md5: acbd18db4cc2f85cedef654fccc4a4d8\n  size: 3\n  hash: md5\n  path: .github\n', '/r/x.dvc');
  assert.equal(ok.outs[0]!.path, '.github');
});
