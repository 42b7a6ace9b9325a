/**
 * The seed sequence of the issue, as written, against s3rver: `remote add -d geospatial-remote
 * s3://BUCKET/dvc-data`, `remote modify ... credentialpath ~/.aws/credentials`, upload/download
 * concurrency 10, `checksum xxhash` (plus `endpointurl` for the local server). Credentials come
 * from the credential file (HOME points at a temp dir holding ~/.aws/credentials).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { gitInit } from '../helpers/tmp.js';
import { startOrSkip } from '../helpers/servers/index.js';
import { startS3rver } from '../helpers/servers/s3rver.js';
import { writeRandomFile, listFiles } from './storage-repo.js';

test('seed sequence: s3 remote with credentialpath, concurrency options and checksum xxhash', { timeout: 400_000 }, async (t) => {
  const srv = await startOrSkip(t, 's3rver', () => startS3rver());
  if (!srv) return;
  const tmp = mkdtempSync(join(tmpdir(), 'geodvc-seed-'));
  try {
    const home = join(tmp, 'home');
    mkdirSync(join(home, '.aws'), { recursive: true });
    writeFileSync(join(home, '.aws', 'credentials'), '[default]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n');
    const env = { HOME: home };
    const { url } = await srv.newRemote('seed');
    const bucket = /^s3:\/\/([^/]+)/.exec(url)![1]!;
    const root = join(tmp, 'repo');
    mkdirSync(join(root, 'data', 'chips'), { recursive: true });
    gitInit(root);
    const cli = async (...args: string[]) => { const r = await runCli(args, { cwd: root, env }); assert.equal(r.code, 0, `${args.join(' ')}\n${r.stderr}`); return r; };
    await cli('init');
    await cli('remote', 'add', '-d', 'geospatial-remote', `s3://${bucket}/dvc-data`);
    await cli('remote', 'modify', 'geospatial-remote', 'credentialpath', '~/.aws/credentials');
    await cli('remote', 'modify', 'geospatial-remote', 'upload_concurrency', '10');
    await cli('remote', 'modify', 'geospatial-remote', 'download_concurrency', '10');
    await cli('remote', 'modify', 'geospatial-remote', 'checksum', 'xxhash');
    await cli('remote', 'modify', 'geospatial-remote', 'endpointurl', String(srv.options.endpointurl));
    const config = readFileSync(join(root, '.dvc', 'config'), 'utf8');
    assert.match(config, /credentialpath = ~\/.aws\/credentials|credentialpath = .*\.aws\/credentials/);
    for (let i = 0; i < 30; i++) writeFileSync(join(root, 'data', 'chips', `c${i}.tif`), `chip ${i}`);
    const bigSha = writeRandomFile(join(root, 'data', 'scene.tif'), 20 << 20);
    await cli('add', 'data/chips', 'data/scene.tif');
    const dvc = readFileSync(join(root, 'data', 'scene.tif.dvc'), 'utf8');
    const p = await cli('push');
    assert.match(p.stdout, /32 files pushed/);
    // the objects are on the server under the remote's prefix, named by the configured hash
    const algo = /hash: (\w+)/.exec(dvc)?.[1] ?? 'md5';
    const onServer = listFiles(join(srv.objectPath!(`s3://${bucket}/dvc-data`, 'x')!, '..'));
    assert.ok(onServer.some((f) => f.startsWith(`files/${algo}/`)), `objects under files/${algo}/: ${onServer.slice(0, 3).join(', ')}`);
    rmSync(join(root, '.dvc', 'cache'), { recursive: true, force: true });
    rmSync(join(root, 'data', 'chips'), { recursive: true, force: true });
    rmSync(join(root, 'data', 'scene.tif'));
    const pl = await cli('pull');
    assert.match(pl.stdout, /32 files fetched and 31 files added/);
    assert.equal(readFileSync(join(root, 'data', 'chips', 'c7.tif'), 'utf8'), 'chip 7');
    const { createHash } = await import('node:crypto');
    assert.equal(createHash('sha256').update(readFileSync(join(root, 'data', 'scene.tif'))).digest('hex'), bigSha);

    // a missing credential file is a clear configuration error
    rmSync(join(home, '.aws', 'credentials'));
    const bad = await runCli(['push'], { cwd: root, env });
    assert.equal(bad.code, 251);
    assert.match(bad.stderr, /credential file .*credentials' does not exist/);
    assert.ok(existsSync(join(root, 'data', 'scene.tif')));
  } finally {
    await srv.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
});
