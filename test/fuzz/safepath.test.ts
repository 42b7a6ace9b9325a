/** Fuzz: the shared validators (src/lib/safepath.ts, src/lib/safeyaml.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { stringify } from 'yaml';
import { checkRelpath, redactSecrets, redactUrl } from '../../src/lib/safepath.js';
import { parseYamlSafe } from '../../src/lib/safeyaml.js';
import { check, nastyPath, params, tolerate, mutated } from './_fuzz.js';

const ROOT = '/work/ws/repo';
const inside = (p: string) => { const r = relative(ROOT, resolve(ROOT, p)); return r !== '..' && !r.startsWith(`..${sep}`) && !isAbsolute(r); };

test('checkRelpath: an accepted path never leaves its base, never throws', { timeout: 60_000 }, () => {
  check(fc.property(fc.oneof(nastyPath, fc.string({ unit: 'binary', maxLength: 60 })), fc.boolean(), (p, allowParent) => {
    const why = checkRelpath(p, { allowParent });
    if (why === undefined) {
      assert.ok(inside(p), `accepted ${JSON.stringify(p)} escapes`);
      assert.ok(!p.includes('\u0000') && !p.includes('\\') && !p.startsWith('/'));
      if (!allowParent) assert.ok(!p.split('/').includes('..'));
    }
  }), params());
});

test('redactUrl/redactSecrets: a password in a URL is never returned', { timeout: 60_000 }, () => {
  const secret = fc.stringMatching(/^[A-Za-z0-9_~.-]{6,24}$/).filter((s) => !/^[.~_-]/.test(s));
  check(fc.property(fc.constantFrom('https', 'http', 's3', 'webdav', 'ssh'), fc.stringMatching(/^[a-z]{1,8}$/), secret, fc.stringMatching(/^[a-z0-9/._-]{0,30}$/), (scheme, user, pass, path) => {
    const url = `${scheme}://${user}:${pass}@host.example:8080/${path}`;
    const a = redactUrl(url);
    const b = redactSecrets(`error while pushing to ${url}: 403`);
    assert.ok(!a.includes(`:${pass}@`), a);
    assert.ok(!b.includes(`:${pass}@`), b);
    assert.ok(a.includes(user) && a.includes('host.example'));
    const c = redactSecrets(`password = ${pass}\ntoken: ${pass}\nAuthorization: Bearer ${pass}`);
    assert.ok(!c.includes(pass), c);
  }), params());
  check(fc.property(fc.string({ maxLength: 200 }), (s) => { redactSecrets(s); redactUrl(s); }), params());
});

test('parseYamlSafe: random and mutated YAML parses or throws InvalidFileError, within bounds', { timeout: 120_000 }, () => {
  const seeds = [
    'outs:\n- md5: acbd18db4cc2f85cedef654fccc4a4d8\n  size: 3\n  hash: md5\n  path: foo\n',
    'a: &a [1, 2, 3]\nb: *a\nc: {x: *a}\n',
    'stages:\n  train:\n    cmd: python train.py ${lr}\n    deps:\n    - data\n    outs:\n    - model.pkl\n',
    '- [1, [2, [3, [4]]]]\n- {a: {b: {c: d}}}\n',
  ];
  const arb = fc.oneof(
    fc.string({ maxLength: 200 }),
    mutated(seeds),
    fc.jsonValue({ maxDepth: 5 }).map((v) => stringify(v)),
  );
  check(fc.property(arb, (text) => { tolerate(() => parseYamlSafe(text), 'parseYamlSafe'); }), params());
});

/** A random spelling of `.git`/`.dvc` that some file system takes for the real directory. */
const reservedSpelling = fc.tuple(
  fc.constantFrom('.git', '.dvc', 'git~1', 'dvc~1'),
  fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
  fc.array(fc.constantFrom('', '\u200c', '\u200d', '\u200e', '\u200f', '\u202a', '\u206a', '\ufeff'), { minLength: 6, maxLength: 6 }),
  fc.stringMatching(/^[. ]{0,3}$/),
).map(([name, upper, ign, tail]) => {
  let s = '';
  for (let i = 0; i < name.length; i++) s += ign[i] + (upper[i] ? name[i]!.toUpperCase() : name[i]!);
  return s + ign[5] + tail;
});
const plainSeg = fc.stringMatching(/^[A-Za-z0-9_.~ -]{1,8}$/);

test('the .git/.dvc rule: a reserved spelling at any depth is always refused; plain paths are refused only when a segment is one', { timeout: 60_000 }, async () => {
  const { reservedPathProblem, reservedSegment } = await import('../../src/lib/safepath.js');
  check(fc.property(fc.array(plainSeg, { maxLength: 4 }), reservedSpelling, fc.array(plainSeg, { maxLength: 4 }), (pre, bad, post) => {
    const p = [...pre, bad, ...post].join('/');
    assert.ok(reservedPathProblem(p), `accepted ${JSON.stringify(p)}`);
  }), params());
  check(fc.property(fc.array(plainSeg, { minLength: 1, maxLength: 6 }), (segs) => {
    const p = segs.join('/');
    const expect = segs.some((s) => /^(\.git|\.dvc|git~1|dvc~1)[. ]*$/i.test(s));
    assert.equal(!!reservedPathProblem(p), expect, JSON.stringify(p));
    for (const s of segs) assert.equal(!!reservedSegment(s), /^(\.git|\.dvc|git~1|dvc~1)[. ]*$/i.test(s), s);
  }), params());
  check(fc.property(fc.oneof(nastyPath, fc.string({ unit: 'binary', maxLength: 60 })), (p) => { reservedPathProblem(p); }), params());
});
