import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffFlat, pyStr } from './params.js';
import { PyFloat } from '../../lib/pyjson.js';

test("pyStr is Python's str() of parsed values (checked with python3)", () => {
  assert.equal(pyStr(['r', 'g']), "['r', 'g']");
  assert.equal(pyStr([64, 32]), '[64, 32]');
  assert.equal(pyStr([0.1, new PyFloat(1), "a'b", null, true]), `[0.1, 1.0, "a'b", None, True]`);
  assert.equal(pyStr({ a: [1, 2.5] }), "{'a': [1, 2.5]}");
  assert.equal(pyStr('plain'), 'plain');
});

test('diffFlat: diff for numbers (bools count as ints), lists compared as their str(), missing side null', () => {
  const d = diffFlat(
    { 'p.yaml': { a: 1, b: [1, 2], c: 'x', f: true, gone: 5 } },
    { 'p.yaml': { a: 4, b: [1, 2], c: 'x', f: false, new: 2 } },
  );
  assert.deepEqual(d, { 'p.yaml': { a: { old: 1, new: 4, diff: 3 }, f: { old: true, new: false, diff: -1 }, gone: { old: 5, new: null }, new: { old: null, new: 2 } } });
  const all = diffFlat({ f: { b: [1, 2], s: 1 } }, { f: { b: [1, 2], s: 1 } }, true);
  assert.deepEqual(all, { f: { b: { old: '[1, 2]', new: '[1, 2]' }, s: { old: 1, new: 1, diff: 0 } } });
});
