import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseYamlDocumentSafe, parseYamlSafe } from './safeyaml.js';
import { InvalidFileError } from './errors.js';

const isInvalid = (re: RegExp) => (e: unknown) => e instanceof InvalidFileError && re.test(e.message) && !!e.hint;

test('parses ordinary DVC YAML', () => {
  const v = parseYamlSafe('outs:\n- md5: acbd18db4cc2f85cedef654fccc4a4d8\n  size: 3\n  hash: md5\n  path: foo\n', { filename: 'foo.dvc' });
  assert.deepEqual(v, { outs: [{ md5: 'acbd18db4cc2f85cedef654fccc4a4d8', size: 3, hash: 'md5', path: 'foo' }] });
  assert.equal(parseYamlSafe(''), null);
  const doc = parseYamlDocumentSafe('# keep\nstages:\n  a:\n    cmd: echo\n');
  assert.match(doc.toString(), /# keep/);
});

test('a few aliases are fine, a billion-laughs bomb is refused', () => {
  assert.deepEqual(parseYamlSafe('a: &x [1, 2]\nb: *x\n'), { a: [1, 2], b: [1, 2] });
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', 'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]', 'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
    'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]', 'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]', 'f: [*e,*e,*e,*e,*e,*e,*e,*e,*e]'].join('\n');
  const t0 = Date.now();
  assert.throws(() => parseYamlSafe(bomb, { filename: 'dvc.yaml' }), isInvalid(/'dvc\.yaml'.*alias/));
  assert.ok(Date.now() - t0 < 2000);
});

test('deep nesting, duplicate keys, odd tags and oversize input are refused', () => {
  assert.throws(() => parseYamlSafe('['.repeat(100_000)), isInvalid(/nesting/));
  assert.throws(() => parseYamlSafe(`${'- '.repeat(2000)}x`), isInvalid(/nesting|too deep/));
  assert.throws(() => parseYamlSafe('a: 1\na: 2\n'), isInvalid(/unique/));
  assert.throws(() => parseYamlSafe('a: !!binary aGVsbG8=\n'), isInvalid(/binary/));
  assert.throws(() => parseYamlSafe('a: !!js/function "x"\n'), isInvalid(/tag/));
  assert.throws(() => parseYamlSafe('a: b', { maxBytes: 2 }), isInvalid(/larger/));
  assert.throws(() => parseYamlSafe('a: [1, 2\n'), isInvalid(/unable to read/));
});
