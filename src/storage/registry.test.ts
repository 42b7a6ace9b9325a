import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { schemeOf, openBackend } from './registry.js';
import { StorageError } from './errors.js';
import { parseIni, resolveS3Credentials } from './backends/s3.js';
import { withRetry } from './retry.js';

test('schemeOf maps URLs to backends and refuses unknown schemes with a hint', () => {
  assert.equal(schemeOf('/srv/dvc'), 'local');
  assert.equal(schemeOf('../remote'), 'local');
  assert.equal(schemeOf('file:///srv/dvc'), 'local');
  assert.equal(schemeOf('s3://b/p'), 's3');
  assert.equal(schemeOf('azure://c/p'), 'azure');
  assert.equal(schemeOf('gs://b'), 'gs');
  assert.equal(schemeOf('ssh://u@h/p'), 'ssh');
  assert.equal(schemeOf('https://h/p'), 'http');
  assert.equal(schemeOf('webdavs://h/p'), 'webdav');
  assert.throws(() => schemeOf('foo://x'), (e: unknown) => e instanceof StorageError && e.kind === 'bad-url' && !!e.hint && e.exitCode === 251);
});

test('a local remote resolves relative paths against baseDir', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'geodvc-reg-'));
  try {
    const b = await openBackend('remote', {}, { baseDir: dir });
    assert.equal(b.url, join(dir, 'remote'));
    await b.put('files/md5/aa/bb', { data: Buffer.from('x') });
    assert.deepEqual(await b.stat('files/md5/aa/bb'), { size: 1 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('AWS credentials: INI profiles, explicit keys, missing file and missing profile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'geodvc-cred-'));
  try {
    const f = join(dir, 'credentials');
    writeFileSync(f, '[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n\n[profile other]\naws_access_key_id=AK2\naws_secret_access_key=SK2\n');
    assert.deepEqual(parseIni('[a]\nk = v\n# c\n[profile b]\nx=1').b, { x: '1' });
    assert.equal(resolveS3Credentials({ credentialpath: f })?.accessKeyId, 'AK');
    assert.equal(resolveS3Credentials({ credentialpath: f, profile: 'other' })?.secretAccessKey, 'SK2');
    assert.equal(resolveS3Credentials({ access_key_id: 'A', secret_access_key: 'S' })?.accessKeyId, 'A');
    assert.throws(() => resolveS3Credentials({ credentialpath: join(dir, 'nope') }), (e: unknown) => e instanceof StorageError && e.kind === 'credentials' && /does not exist/.test(e.message));
    assert.throws(() => resolveS3Credentials({ credentialpath: f, profile: 'missing' }), (e: unknown) => e instanceof StorageError && e.kind === 'credentials');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('withRetry retries transient errors with backoff, not permanent ones', async () => {
  let n = 0;
  const v = await withRetry('op', 'r', async () => { if (++n < 3) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' }); return 42; }, { retries: 5, baseDelayMs: 1 });
  assert.equal(v, 42);
  assert.equal(n, 3);
  let m = 0;
  await assert.rejects(withRetry('op', 'r', async () => { m++; throw new StorageError('access-denied', 'no'); }, { retries: 5, baseDelayMs: 1 }), StorageError);
  assert.equal(m, 1);
  await assert.rejects(withRetry('op', 'r', async () => { throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }); }, { retries: 2, baseDelayMs: 1 }),
    (e: unknown) => e instanceof StorageError && e.kind === 'unreachable' && /rerun/.test(e.hint ?? ''));
});

test('one scheme table: what remote add accepts also opens, adlfs spellings are refused with the DVC spelling', async () => {
  const { remoteScheme } = await import('../core/repo/remote-options.js');
  for (const u of ['/srv/x', 'file:///srv/x', 's3://b/p', 'azure://c/p', 'gs://b', 'gcs://b', 'ssh://h/p', 'sftp://h/p', 'http://h/p', 'https://h/p', 'webdav://h/p', 'webdavs://h/p']) {
    const backend = schemeOf(u);
    const scheme = remoteScheme(u);
    assert.ok(scheme === backend || (backend === 'http' && scheme === 'https') || (backend === 'webdav' && scheme === 'webdavs'), `${u}: ${scheme} vs ${backend}`);
  }
  for (const u of ['az://c/p', 'abfs://c/p']) {
    assert.throws(() => schemeOf(u), (e: unknown) => e instanceof StorageError && /azure:\/\/c\/p/.test(e.hint ?? ''));
    assert.throws(() => remoteScheme(u), (e: unknown) => e instanceof Error && /azure:\/\/c\/p/.test((e as { hint?: string }).hint ?? ''));
  }
});
