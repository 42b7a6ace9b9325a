import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ManifestChecker, manifestProblemOf } from './manifest-check.js';
import { checkRelpath } from '../../lib/safepath.js';

/** The in-memory rule the streaming checker replaces (JSON.parse, then every relpath). */
function reference(text: string): boolean {
  let data: unknown;
  try { data = JSON.parse(text); } catch { return false; }
  if (!Array.isArray(data)) return false;
  for (const e of data) {
    if (!e || typeof e !== 'object' || Array.isArray(e)) return false;
    const why = checkRelpath((e as { relpath?: unknown }).relpath);
    if (why && why !== 'contains a control character') return false;
  }
  return true;
}

/** Feeds the text in pieces of `step` bytes (splitting UTF-8 sequences and escapes). */
function streamed(text: string, step: number): string | undefined {
  const c = new ManifestChecker();
  const b = Buffer.from(text, 'utf8');
  for (let i = 0; i < b.length; i += step) c.push(b.subarray(i, i + step));
  return c.end();
}

test('accepts DVC manifests and refuses unsafe or malformed ones, with the entry named', () => {
  const ok = JSON.stringify([{ md5: 'acbd18db4cc2f85cedef654fccc4a4d8', relpath: 'a/b ü.tif', size: 3, isexec: false, extra: { x: [1, null, true] } }, { relpath: 'z' }]);
  assert.equal(manifestProblemOf(Buffer.from(ok)), undefined);
  assert.equal(manifestProblemOf(Buffer.from('[]')), undefined);
  assert.equal(manifestProblemOf(Buffer.from(' [ ] \n')), undefined);
  assert.match(manifestProblemOf(Buffer.from(JSON.stringify([{ relpath: 'ok' }, { relpath: '../../x' }])))!, /^entry 1 relpath "\.\.\/\.\.\/x" has a '\.\.' segment/);
  assert.match(manifestProblemOf(Buffer.from('[{"relpath": "\\u002fetc/passwd"}]'))!, /entry 0 .*absolute/);
  assert.match(manifestProblemOf(Buffer.from('[{"md5": "x"}]'))!, /entry 0 relpath "undefined" is not a string/);
  assert.match(manifestProblemOf(Buffer.from('[{"relpath": 5}]'))!, /is not a string/);
  assert.match(manifestProblemOf(Buffer.from('[{"relpath": ["a"]}]'))!, /is not a string/);
  assert.match(manifestProblemOf(Buffer.from(`[{"relpath": "${'a'.repeat(5000)}"}]`))!, /too long/);
  assert.equal(manifestProblemOf(Buffer.from('{"relpath": "a"}')), 'not a JSON list');
  assert.equal(manifestProblemOf(Buffer.from('[1]')), 'entry 0 is not an object');
  for (const bad of ['', '[', '[{"relpath": "a"}', '[{"relpath": "a"}]x', '[{"relpath": "a",}]', '\ufeff[]', '[{"relpath": "a\nb"}]', '[{"a": tru}]', '[{"a": 01}]']) {
    assert.match(manifestProblemOf(Buffer.from(bad)) ?? 'accepted', /not valid JSON/, JSON.stringify(bad));
  }
  assert.match(manifestProblemOf(Buffer.from('[{"a":' + '['.repeat(300) + ']'.repeat(300) + ', "relpath": "a"}]'))!, /nested deeper/);
});

test('agrees with JSON.parse + checkRelpath on generated manifests, whatever the chunking', () => {
  const relpath = fc.oneof(fc.constantFrom('a', 'a/b', '../x', '/abs', 'C:/x', 'a\\b', 'a//b', './a', '', 'é/ü', 'a\u0000b', 'a\tb'), fc.string({ maxLength: 12 }));
  const value = fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }));
  const entry = fc.oneof(
    fc.record({ md5: fc.stringMatching(/^[0-9a-f]{32}$/), relpath }),
    fc.dictionary(fc.constantFrom('md5', 'size', 'relpath', 'isexec', 'x'), fc.oneof(value, relpath)),
    value,
  );
  const doc = fc.oneof(
    fc.array(entry, { maxLength: 5 }).map((a) => JSON.stringify(a)),
    fc.array(entry, { maxLength: 5 }).map((a) => JSON.stringify(a, null, 1)),
    // damaged JSON: a character dropped or inserted
    fc.tuple(fc.array(entry, { minLength: 1, maxLength: 3 }).map((a) => JSON.stringify(a)), fc.nat(), fc.constantFrom('', ',', '"', '}', ']', '\\', ' ', 'x')).map(([t, i, ins]) => { const p = i % (t.length + 1); return t.slice(0, p) + ins + t.slice(p + 1); }),
  );
  fc.assert(fc.property(doc, fc.integer({ min: 1, max: 7 }), (text, step) => {
    const want = reference(text);
    const whole = manifestProblemOf(Buffer.from(text, 'utf8'));
    assert.equal(whole === undefined, want, `${JSON.stringify(text)}: ${whole}`);
    assert.equal(streamed(text, step), whole);
  }), { numRuns: 1000, seed: 17 });
});

test('memory stays flat on a large manifest (streamed in 64 KiB chunks)', () => {
  const c = new ManifestChecker();
  const entry = Buffer.from(JSON.stringify({ md5: 'acbd18db4cc2f85cedef654fccc4a4d8', relpath: 'dir/sub/file_000000.tif', size: 123456 }) + ',');
  const chunk = Buffer.concat(Array.from({ length: Math.floor(65536 / entry.length) }, () => entry));
  c.push(Buffer.from('['));
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 160; i++) c.push(chunk); // ~10 MB of manifest
  const grown = process.memoryUsage().heapUsed - before;
  c.push(Buffer.from(JSON.stringify({ relpath: 'last' }) + ']'));
  assert.equal(c.end(), undefined);
  assert.ok(grown < 32 * 1024 * 1024, `heap grew ${grown} bytes`);
});
