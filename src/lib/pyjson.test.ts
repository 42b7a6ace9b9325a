import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { pyJsonDumps, compareCodePoints } from './pyjson.js';

test('pyJsonDumps matches Python json.dumps(sort_keys=True) for a .dir manifest', () => {
  const s = pyJsonDumps([{ relpath: 'bar', md5: '37b51d194a7513e45b56f6524f2d51f2' }, { relpath: 'foo', md5: 'acbd18db4cc2f85cedef654fccc4a4d8' }]);
  assert.equal(s, '[{"md5": "37b51d194a7513e45b56f6524f2d51f2", "relpath": "bar"}, {"md5": "acbd18db4cc2f85cedef654fccc4a4d8", "relpath": "foo"}]');
  assert.equal(createHash('md5').update(s).digest('hex'), '5ea40360f5b4ec688df672a4db9c17d1');
});

test('ensure_ascii escapes non-ASCII and astral characters as surrogate pairs', () => {
  assert.equal(pyJsonDumps('café 😀\n"\\'), '"caf\\u00e9 \\ud83d\\ude00\\n\\"\\\\"');
  assert.equal(pyJsonDumps({ b: 1, a: [true, null, 1.5] }), '{"a": [true, null, 1.5], "b": 1}');
});

test('code-point order differs from UTF-16 order for astral characters', () => {
  const a = '\uff5a'; // fullwidth z (BMP, U+FF5A)
  const b = '\u{1F600}'; // emoji (astral)
  assert.equal(compareCodePoints(a, b), -1);
  assert.equal(a < b, false); // UTF-16 comparison gets it the other way round
});
