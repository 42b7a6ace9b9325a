import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashBuffer } from './hash.js';
import { buildTree, parseTree, serializeTree } from './tree.js';
import { InvalidFileError } from '../../lib/errors.js';
import { objectRelPath } from './layout.js';

const GOLDENS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'dvc-goldens');

function dirOid(files: Record<string, string>): string {
  const entries = Object.entries(files).map(([relpath, c]) => ({ relpath, oid: hashBuffer(Buffer.from(c, 'utf8'), 'md5') }));
  return buildTree('md5', entries).oid;
}

// dvc-formats.md §14, directory vectors 11-25 and 27
const subdirs: Record<string, string> = { foo: 'foo' };
for (let i = 0; i < 10; i++) { subdirs[`subdir/${i}.txt`] = `dir1 ${i}`; subdirs[`subdir2/${i}.txt`] = `dir2 ${i}`; }
const DIR_VECTORS: [string, Record<string, string>, string][] = [
  ['11', { foo: 'foo', bar: 'bar' }, '5ea40360f5b4ec688df672a4db9c17d1.dir'],
  ['12', { one: 'one', two: 'two' }, '6b18131dc289fd37006705affe961ef8.dir'],
  ['13', { file: 'text' }, '0dab3fae569586d4c33272e5011605bf.dir'],
  ['14', { 1: '1', 2: '2' }, '5fb6b29836c388e093ca0715c872fe2a.dir'],
  ['15', { 1: '1', 2: 'two', 3: '3' }, '9b5faf37366b3370fd98e3e60ca439c1.dir'],
  ['16', { 1: '1', 3: '3' }, '83ae82fb367ac9926455870773ff09e6.dir'],
  ['17', { file: 'text1', 'subdir/file2': 'text2' }, 'cb58ee07cb01044db229e4d6121a0dfc.dir'],
  ['18', { 'subdir/file2': 'text2', 'subdir/file3': 'text1' }, 'a4ac9c339aacc60b6a3152e362c319c8.dir'],
  ['19a', { foo: 'foo', 'subdir/foo': 'foo' }, 'c7684c8b3b0d28cf80d5305e2d856bfc.dir'],
  ['19b', { bar: 'foo', 'subdir/bar': 'foo' }, '31b36b3ea5f4485e27f10578c47183b0.dir'],
  ['20a', { dir_file1: 'dir file content' }, '92daf39af116ca2fb245acaeb2ae65f7.dir'],
  ['20b', { dir_file1: 'dir file content', dir_file2: 'dir file 2 content' }, '38175ad60f0e58ac94e0e2b7688afd81.dir'],
  ['21', { foo: 'foo', bar: 'bar', 'subdir/lorem': 'lorem', 'subdir/ipsum': 'ipsum' }, '15b0e3c73ad2c748ce206988cb6b7319.dir'],
  ['22', { foo: 'foo', 'subdir/lorem': 'lorem' }, '22a16c9bf84b3068bc2206d88a6b5776.dir'],
  ['23', subdirs, '9899dc38082ee0ec33de077df62a4a12.dir'],
  ['24', { bar: 'bar\n', baz: 'baz\n' }, '1f69c66028c35037e8bf67e5bc4ceb6a.dir'],
  ['25', {}, 'd751713988987e9331980363e24189ce.dir'],
  ['27', { foo: 'foo', bar: 'bar', 'sub/baz': 'baz' }, '202c93e77976267af103982ba7b07cb3.dir'],
];

test('directory vectors 11-25, 27', () => {
  for (const [n, files, oid] of DIR_VECTORS) assert.equal(dirOid(files), oid, `vector ${n}`);
});

test('manifest bytes for {foo, bar} exactly as DVC', () => {
  const { bytes } = buildTree('md5', [{ relpath: 'foo', oid: 'acbd18db4cc2f85cedef654fccc4a4d8' }, { relpath: 'bar', oid: '37b51d194a7513e45b56f6524f2d51f2' }]);
  assert.equal(bytes.toString(), '[{"md5": "37b51d194a7513e45b56f6524f2d51f2", "relpath": "bar"}, {"md5": "acbd18db4cc2f85cedef654fccc4a4d8", "relpath": "foo"}]');
});

test('golden 03-directory manifest: non-ASCII, astral, code-point order, byte-identical', () => {
  const golden = readFileSync(join(GOLDENS, '03-directory', 'dir-objects', '658f4336679a7c1b3860e17effa0090f.dir'));
  const files: Record<string, string> = {
    foo: 'foo', bar: 'bar', 'sub/baz': 'baz', 'café ü.txt': 'é', Zebra: 'Z', apple: 'a', 'sub/emoji-😀.txt': '😀',
    'sub/ｚwide': 'ｚ', '.hidden': 'h', 'sub/deeper/with space.tif': 'x',
  };
  const entries = Object.entries(files).map(([relpath, c]) => ({ relpath, oid: hashBuffer(Buffer.from(c), 'md5') }));
  const built = buildTree('md5', entries);
  assert.equal(built.bytes.toString('utf8'), golden.toString('utf8'));
  assert.equal(built.oid, '658f4336679a7c1b3860e17effa0090f.dir');
  // round trip
  const parsed = parseTree(golden, 'md5');
  assert.equal(parsed.entries.length, 10);
  assert.equal(serializeTree(parsed).toString(), golden.toString());
  assert.equal(objectRelPath('md5', built.oid), 'files/md5/65/8f4336679a7c1b3860e17effa0090f.dir');
});

test('non-md5 entry key: {"relpath", "xxh128"}', () => {
  const { bytes } = buildTree('xxh128', [{ relpath: 'a', oid: '79aef92e83454121ab6e5f64077e7d8a' }]);
  assert.equal(bytes.toString(), '[{"relpath": "a", "xxh128": "79aef92e83454121ab6e5f64077e7d8a"}]');
  assert.equal(parseTree(bytes, 'xxh128').entries[0]!.oid, '79aef92e83454121ab6e5f64077e7d8a');
  assert.equal(objectRelPath('xxh128', '79aef92e83454121ab6e5f64077e7d8a'), 'files/xxh128/79/aef92e83454121ab6e5f64077e7d8a');
  assert.equal(objectRelPath('md5-dos2unix', 'c32b2057b9bd62caa835386346177935'), 'c3/2b2057b9bd62caa835386346177935');
});

test('parseTree rejects unsafe or corrupted manifests with InvalidFileError', () => {
  const h = 'acbd18db4cc2f85cedef654fccc4a4d8';
  const bad = [
    `[{"md5": "${h}", "relpath": "../evil"}]`,
    `[{"md5": "${h}", "relpath": "a/../../evil"}]`,
    `[{"md5": "${h}", "relpath": "/etc/passwd"}]`,
    `[{"md5": "${h}", "relpath": "a\\u0000b"}]`,
    `[{"md5": "${h}", "relpath": "a\\\\b"}]`,
    `[{"md5": "${h}", "relpath": "a"}, {"md5": "${h}", "relpath": "a"}]`,
    `[{"md5": "${h}", "relpath": "a"}, {"md5": "${h}", "relpath": "a/b"}]`,
    `[{"md5": "${h}", "relpath": ""}]`,
    `[{"md5": "nothex", "relpath": "a"}]`,
    `[{"relpath": "a"}]`,
    `{"md5": "${h}"}`,
    `[{"md5": "${h}", "relpath": "a"`,
  ];
  for (const b of bad) assert.throws(() => parseTree(b, 'md5'), InvalidFileError, b);
  // extra meta keys are accepted as DVC does
  assert.equal(parseTree(`[{"md5": "${h}", "relpath": "a", "size": 3, "isexec": true}]`, 'md5').entries[0]!.size, 3);
});

test('.dir entries inside .git/.dvc (any segment, any case) are refused when a manifest is parsed (issue 17)', () => {
  for (const rel of ['.git/config', 'a/.GIT/hooks/x', '.dvc/config', 'x/git~1/y', 'b/.git']) {
    const bytes = `[{"md5": "acbd18db4cc2f85cedef654fccc4a4d8", "relpath": ${JSON.stringify(rel)}}]`;
    assert.throws(() => parseTree(bytes, 'md5', 'crafted.dir'), (e: any) => e.code === 'reserved-path' && e.message.includes(rel) && !/--force/.test(e.hint), rel);
  }
  assert.equal(parseTree('[{"md5": "acbd18db4cc2f85cedef654fccc4a4d8", "relpath": ".github/x"}]', 'md5').entries.length, 1);
});
