import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertSafeRelpath, checkRelpath, isSecretKey, redactSecrets, redactUrl, registerSecret, resolveInside, resolveInsideSync } from './safepath.js';
import { PathError } from './errors.js';

test('checkRelpath accepts plain relative paths', () => {
  for (const p of ['a', 'a/b/c.tif', 'dir with space/ü.txt', '.hidden', 'a..b', '...', 'x/.dvcignore']) assert.equal(checkRelpath(p), undefined, p);
});

test('checkRelpath refuses every escape form', () => {
  const bad: Record<string, string> = {
    '': 'is empty', '../x': "has a '..' segment", 'a/../../x': "has a '..' segment", '/etc/passwd': 'is an absolute path',
    'a\\b': 'contains a backslash', '..\\x': 'contains a backslash', 'C:/x': 'starts with a drive letter', 'c:x': 'starts with a drive letter',
    'a\u0000b': 'contains a NUL byte', 'a\nb': 'contains a control character', 'a//b': 'has an empty segment', './a': "has a '.' segment",
    'a/': 'has an empty segment', 'a/D:/b': 'has a drive-letter segment',
  };
  for (const [p, why] of Object.entries(bad)) assert.equal(checkRelpath(p), why, JSON.stringify(p));
  assert.equal(checkRelpath(5), 'is not a string');
  assert.equal(checkRelpath('x'.repeat(5000)), 'is too long');
});

test('checkRelpath with allowParent allows .. that stays inside', () => {
  assert.equal(checkRelpath('a/../b', { allowParent: true }), undefined);
  assert.equal(checkRelpath('a/../../b', { allowParent: true }), 'leaves its base directory');
  assert.equal(checkRelpath('./a', { allowDot: true }), undefined);
});

test('assertSafeRelpath throws a PathError with a hint and an escaped path', () => {
  assert.throws(() => assertSafeRelpath('../../outside', 'relpath in x.dir'), (e: unknown) => {
    assert.ok(e instanceof PathError);
    assert.equal(e.code, 'unsafe-path');
    assert.match(e.message, /relpath in x\.dir "\.\.\/\.\.\/outside"/);
    assert.ok(e.hint);
    return true;
  });
  assert.throws(() => assertSafeRelpath('a\u0000b'), /"a\\u0000b"/);
});

test('resolveInside refuses lexical escapes and symlinks leading out', async () => {
  const base = mkdtempSync(join(tmpdir(), 'safepath-'));
  try {
    const root = join(base, 'repo');
    const outside = join(base, 'outside');
    mkdirSync(join(root, 'data', 'real'), { recursive: true });
    mkdirSync(outside);
    symlinkSync(outside, join(root, 'data', 'evil'));
    symlinkSync(join(root, 'data', 'real'), join(root, 'data', 'good'));
    symlinkSync('../../outside/f', join(root, 'data', 'leaf'));
    for (const fn of [resolveInside, async (r: string, p: string, o?: object) => resolveInsideSync(r, p, o)]) {
      assert.equal(await fn(root, 'data/new/x'), join(root, 'data', 'new', 'x'));
      assert.equal(await fn(root, 'data/good/x'), join(root, 'data', 'good', 'x'));
      await assert.rejects(async () => fn(root, 'data/evil/x'), (e: any) => e.code === 'unsafe-path' && /symlink/.test(e.message));
      await assert.rejects(async () => fn(root, 'data/leaf'), (e: any) => e.code === 'unsafe-path');
      assert.equal(await fn(root, 'data/leaf', { allowFinalSymlink: true }), join(root, 'data', 'leaf'));
      await assert.rejects(async () => fn(root, '../outside/x'), (e: any) => e.code === 'path-outside-repo');
      await assert.rejects(async () => fn(root, '/etc/passwd'), (e: any) => e.code === 'unsafe-path');
      assert.equal(await fn(root, 'data/../data/x'), join(root, 'data', 'x'));
    }
  } finally { rmSync(base, { recursive: true, force: true }); }
});

test('redactUrl hides passwords and secret query values', () => {
  assert.equal(redactUrl('https://user:hunter2@example.com/path?x=1'), 'https://user:***@example.com/path?x=1');
  assert.equal(redactUrl('https://h/p?token=abc&a=1&X-Amz-Signature=zz'), 'https://h/p?token=***&a=1&X-Amz-Signature=***');
  assert.equal(redactUrl('s3://bucket/key'), 's3://bucket/key');
  assert.equal(redactUrl('not a url password=x'), 'not a url password=***');
  assert.ok(!redactUrl('https://ghp_0123456789abcdefghijklmnop@github.com/x').includes('ghp_'));
});

test('redactSecrets hides credentials in free text', () => {
  const t = [
    'fetch https://bob:s3cr3t@host/x failed',
    'Authorization: Bearer abcdef123456',
    'secret_access_key = AKIAXXXXXXXXSECRET',
    '"password": "pw123"',
    'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=base64key==;EndpointSuffix=core',
    'url = https://example.com/dvc',
  ].join('\n');
  const r = redactSecrets(t);
  for (const s of ['s3cr3t', 'abcdef123456', 'AKIAXXXXXXXXSECRET', 'pw123', 'base64key']) assert.ok(!r.includes(s), `${s} leaked in ${r}`);
  assert.ok(r.includes('url = https://example.com/dvc'));
  assert.ok(r.includes('AccountName=a'));
  registerSecret('tok-registered-123');
  assert.equal(redactSecrets('using tok-registered-123 now'), 'using *** now');
});

test('isSecretKey', () => {
  for (const k of ['password', 'secret_access_key', 'token', 'GEODVC_HTTP_TOKEN', 'account_key', 'sas_token', 'X-Amz-Signature', 'gdrive_client_secret']) assert.ok(isSecretKey(k), k);
  for (const k of ['url', 'user', 'region', 'endpointurl', 'jobs', 'md5']) assert.ok(!isSecretKey(k), k);
});

test('insideResolver caches verified dirs and refuses links leading out', async () => {
  const { insideResolver } = await import('./safepath.js');
  const base = mkdtempSync(join(tmpdir(), 'safepath-'));
  try {
    const root = join(base, 'repo');
    mkdirSync(join(root, 'a', 'b'), { recursive: true });
    mkdirSync(join(base, 'out'));
    symlinkSync(join(base, 'out'), join(root, 'a', 'evil'));
    const inside = insideResolver(root);
    assert.equal(inside('a/b/c'), join(root, 'a', 'b', 'c'));
    assert.equal(inside('a/b/d'), join(root, 'a', 'b', 'd'));
    assert.throws(() => inside('a/evil/x'), /symlink leading outside/);
    assert.throws(() => inside('a/evil'), /symlink leading outside/);
    assert.equal(inside('a/evil', { allowFinalSymlink: true }), join(root, 'a', 'evil'));
    assert.throws(() => inside('../x'), (e: any) => e.code === 'path-outside-repo');
  } finally { rmSync(base, { recursive: true, force: true }); }
});

test('reservedSegment/reservedPathProblem: .git and .dvc in every spelling a file system may take for them (issue 17)', async () => {
  const { reservedSegment, reservedPathProblem, assertNotReserved } = await import('./safepath.js');
  const git = ['.git', '.GIT', '.Git', '.gIt', '.git.', '.git ', '.git. .', 'git~1', 'GIT~1', '.g\u200cit', '\ufeff.git', '.gi\u200dt'];
  const dvc = ['.dvc', '.DVC', '.Dvc', '.dvc.', '.dvc  ', 'dvc~1', 'DVC~1', '.d\u200ev\u200fc'];
  for (const s of git) assert.equal(reservedSegment(s), 'git', JSON.stringify(s));
  for (const s of dvc) assert.equal(reservedSegment(s), 'dvc', JSON.stringify(s));
  for (const s of ['.gitignore', '.github', '.gitkeep', 'git', '.gi', '.dvcignore', 'x.dvc', 'dvc', '.dvcx', '..git', 'git~2', '.g-it', 'a.git']) {
    assert.equal(reservedSegment(s), undefined, JSON.stringify(s));
  }
  for (const p of ['.git', '.git/config', '.git/hooks/post-checkout', 'a/.git/b', 'a/b/.GIT', '.dvc/config', '.dvc/cache/files/md5/00/x', '.dvc/tmp/x', 'x/.Dvc/y', 'a\\.git\\hooks']) {
    assert.ok(reservedPathProblem(p), p);
    assert.throws(() => assertNotReserved(p, 'output'), (e: unknown) => {
      assert.ok(e instanceof PathError);
      assert.equal(e.code, 'reserved-path');
      assert.match(e.message, /refusing output ".*": it is inside \.(git|dvc)/);
      assert.match(e.message, /rule: no path may enter \.git or \.dvc/);
      assert.ok(e.hint && !/--force|-f\b/.test(e.hint), 'the hint never suggests an override');
      return true;
    });
  }
  for (const p of ['data/x.tif', '.gitignore', '.github/workflows/ci.yml', 'data/git/x', 'data.dvc', 'a/b.dvc/c', 'dvc.yaml']) assert.equal(reservedPathProblem(p), undefined, p);
});

test('resolveInside/insideResolver refuse reserved paths and symlinks into .git or .dvc, even inside the repo (issue 17)', async () => {
  const { insideResolver } = await import('./safepath.js');
  const base = mkdtempSync(join(tmpdir(), 'safepath-'));
  try {
    const root = join(base, 'repo');
    mkdirSync(join(root, '.git', 'hooks'), { recursive: true });
    mkdirSync(join(root, '.dvc', 'cache'), { recursive: true });
    mkdirSync(join(root, 'data', 'real'), { recursive: true });
    symlinkSync('.git/hooks', join(root, 'hk'));
    symlinkSync('../.dvc', join(root, 'data', 'dv'));
    symlinkSync('real', join(root, 'data', 'ok'));
    const inside = insideResolver(root);
    for (const fn of [(r: string, o?: object) => resolveInsideSync(root, r, o), (r: string, o?: object) => inside(r, o)]) {
      assert.throws(() => fn('.git/hooks/pre-commit'), (e: any) => e.code === 'reserved-path' && /inside \.git/.test(e.message));
      assert.throws(() => fn('.GIT/config'), (e: any) => e.code === 'reserved-path');
      assert.throws(() => fn('data/../.dvc/config'), (e: any) => e.code === 'reserved-path');
      assert.throws(() => fn('hk/pre-commit'), (e: any) => e.code === 'reserved-path' && /symlink/.test(e.message) && !/--force/.test(e.hint));
      assert.throws(() => fn('data/dv/config'), (e: any) => e.code === 'reserved-path');
      assert.equal(fn('data/ok/x'), join(root, 'data', 'ok', 'x'));
      // the link itself may be replaced (rename over it): that does not write into .git
      assert.equal(fn('hk', { allowFinalSymlink: true }), join(root, 'hk'));
    }
    await assert.rejects(resolveInside(root, 'hk/x'), (e: any) => e.code === 'reserved-path');
  } finally { rmSync(base, { recursive: true, force: true }); }
});
