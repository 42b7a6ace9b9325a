/**
 * Storage tiers (issue 20 item 3): the `storage_class`/`tier` remote options are validated when
 * written and sent on every upload (s3rver keeps x-amz-storage-class and returns it on HEAD; azurite
 * keeps the access tier), and `remote lifecycle` builds the bucket rule: S3 with `--dry`, and
 * s3rver's NotImplemented reported clearly (neither s3rver nor Swift's s3api implements bucket
 * lifecycle); Azure prints the management-policy JSON for the `az` CLI; GCS with `--dry`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client, HeadObjectCommand } from '@aws-sdk/client-s3';
import { BlobServiceClient } from '@azure/storage-blob';
import { runCli, type CliResult } from '../helpers/cli.js';
import { gitInit } from '../helpers/tmp.js';
import { startOrSkip } from '../helpers/servers/common.js';
import { startS3rver } from '../helpers/servers/s3rver.js';
import { startAzurite } from '../helpers/servers/azurite.js';
import { validateRemoteOption } from '../../src/core/repo/remote-options.js';
import type { ConfigError } from '../../src/lib/errors.js';

const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');
const objKey = (h: string) => `dvc-data/files/md5/${h.slice(0, 2)}/${h.slice(2)}`;

async function makeRepo(): Promise<{ root: string; tmp: string; cli: (...a: string[]) => Promise<CliResult>; run: (...a: string[]) => Promise<CliResult> }> {
  const tmp = mkdtempSync(join(tmpdir(), 'geodvc-tiers-'));
  const root = join(tmp, 'repo');
  gitInit(root);
  const run = (...args: string[]) => runCli(args, { cwd: root });
  const cli = async (...args: string[]) => { const r = await run(...args); assert.equal(r.code, 0, `${args.join(' ')}\n${r.stderr}`); return r; };
  await cli('init');
  return { root, tmp, cli, run };
}

test('storage_class/tier values: checked per scheme when written (in-process)', () => {
  assert.doesNotThrow(() => validateRemoteOption('s3', 'storage_class', 'STANDARD_IA'));
  assert.doesNotThrow(() => validateRemoteOption('s3', 'storage_class', 'glacier_ir'));
  assert.doesNotThrow(() => validateRemoteOption('gs', 'storage_class', 'NEARLINE'));
  assert.doesNotThrow(() => validateRemoteOption('azure', 'tier', 'Cool'));
  assert.throws(() => validateRemoteOption('s3', 'storage_class', 'NEARLINE'), /expected one of STANDARD, .*STANDARD_IA/);
  assert.throws(() => validateRemoteOption('gs', 'storage_class', 'STANDARD_IA'), /NEARLINE, COLDLINE, ARCHIVE/);
  assert.throws(() => validateRemoteOption('azure', 'storage_class', 'Cool'), (e: ConfigError) => /names its tier with `tier`/.test(e.hint ?? ''));
  assert.throws(() => validateRemoteOption('ssh', 'tier', 'Cool'), /ssh remote has no storage classes/);
});

test('storage_class through the CLI: accepted on s3, refused on a local remote; lifecycle refusals and GCS --dry', async () => {
  const { tmp, cli, run } = await makeRepo();
  try {
    await cli('remote', 'add', 's3r', 's3://bucket/p');
    await cli('remote', 'add', 'gsr', 'gs://bucket/p');
    await cli('remote', 'add', 'loc', join(tmp, 'remote'));
    await cli('remote', 'modify', 's3r', 'storage_class', 'STANDARD_IA');
    let r = await run('remote', 'modify', 'loc', 'storage_class', 'STANDARD_IA');
    assert.equal(r.code, 251);
    assert.match(r.stderr, /local remote has no storage classes/);
    // lifecycle on a local remote: refused; on GCS: --dry builds the rule without a server
    r = await run('remote', 'lifecycle', 'loc', '--transition-days', '30');
    assert.equal(r.code, 251);
    assert.match(r.stderr, /has no storage tiers or lifecycle rules/);
    r = await cli('remote', 'lifecycle', 'gsr', '--transition-days', '45', '--expire-noncurrent-days', '7', '--dry', '--json');
    const j = JSON.parse(r.stdout);
    assert.equal(j.applied, false);
    assert.equal(j.storageClass, 'NEARLINE');
    assert.deepEqual(j.document, { lifecycle: { rule: [
      { action: { type: 'SetStorageClass', storageClass: 'NEARLINE' }, condition: { age: 45, matchesPrefix: ['p/files/'] } },
      { action: { type: 'Delete' }, condition: { daysSinceNoncurrentTime: 7, matchesPrefix: ['p/files/'] } },
    ] } });
    r = await run('remote', 'lifecycle', 's3r', '--transition-days', '0', '--dry');
    assert.equal(r.code, 254);
    assert.match(r.stderr, /--transition-days must be a positive whole number/);
    r = await run('remote', 'lifecycle', 's3r', '--transition-days', '30', '--storage-class', 'ARCHIVE', '--dry');
    assert.equal(r.code, 254);
    assert.match(r.stderr, /not a storage class of a s3 remote/);
  } finally { rmSync(tmp, { recursive: true, force: true }); }
});

test('s3rver: push sends StorageClass (single PUT and multipart); lifecycle --dry and NotImplemented', { timeout: 120_000 }, async (t) => {
  const srv = await startOrSkip(t, 's3rver', () => startS3rver());
  if (!srv) return;
  const { root, tmp, cli, run } = await makeRepo();
  const s3 = new S3Client({ endpoint: srv.options.endpointurl as string, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  try {
    const { url } = await srv.newRemote('tiers');
    const bucket = /^s3:\/\/([^/]+)/.exec(url)![1]!;
    await cli('remote', 'add', '-d', 'cold', url);
    await cli('remote', 'modify', 'cold', 'endpointurl', String(srv.options.endpointurl));
    await cli('remote', 'modify', '--local', 'cold', 'access_key_id', 'S3RVER');
    await cli('remote', 'modify', '--local', 'cold', 'secret_access_key', 'S3RVER');
    await cli('remote', 'modify', 'cold', 'storage_class', 'STANDARD_IA');
    await cli('remote', 'modify', 'cold', 'part_size', String(5 << 20));
    const small = 'a small chip index';
    const big = Buffer.alloc((6 << 20) + 123, 7);
    writeFileSync(join(root, 'small.txt'), small);
    writeFileSync(join(root, 'big.bin'), big);
    await cli('add', 'small.txt', 'big.bin');
    const r = await cli('push', '--json');
    assert.equal(JSON.parse(r.stdout).pushed, 2);
    for (const h of [md5(small), md5(big)]) {
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: objKey(h) }));
      assert.equal(head.StorageClass, 'STANDARD_IA', `storage class of ${h}`);
    }

    // a class the server does not offer (s3rver knows no GLACIER_IR): the push fails and says why
    await cli('remote', 'modify', 'cold', 'storage_class', 'GLACIER_IR');
    writeFileSync(join(root, 'late.txt'), 'written later');
    await cli('add', 'late.txt');
    const bad = await run('push');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /refused storage class 'GLACIER_IR' \(InvalidStorageClass\)/);
    assert.match(bad.stderr, /storage_class --unset/);

    // lifecycle: --dry prints the rule for the remote's files/ prefix
    let lr = await cli('remote', 'lifecycle', 'cold', '--transition-days', '30', '--expire-noncurrent-days', '90', '--dry', '--json');
    const j = JSON.parse(lr.stdout);
    assert.equal(j.applied, false);
    assert.equal(j.bucket, bucket);
    assert.deepEqual(j.document, { Rules: [{
      ID: 'geodvc-cold-tiering', Status: 'Enabled', Filter: { Prefix: 'dvc-data/files/' },
      Transitions: [{ Days: 30, StorageClass: 'STANDARD_IA' }], NoncurrentVersionExpiration: { NoncurrentDays: 90 },
    }] });
    lr = await cli('remote', 'lifecycle', '--transition-days', '60', '--storage-class', 'glacier_ir', '--dry');
    assert.match(lr.stdout, /would write lifecycle rule 'geodvc-cold-tiering' for bucket '.*', prefix 'dvc-data\/files\/'/);
    assert.match(lr.stdout, /"StorageClass": "GLACIER_IR"/);
    // s3rver does not implement bucket lifecycle: said clearly, non-zero exit
    lr = await run('remote', 'lifecycle', 'cold', '--transition-days', '30');
    assert.equal(lr.code, 1, lr.stderr);
    assert.match(lr.stderr, /does not implement bucket lifecycle configuration \(NotImplemented\)/);
  } finally {
    s3.destroy();
    await srv.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('azurite: push sets the access tier; lifecycle prints the management policy for az', { timeout: 120_000 }, async (t) => {
  const srv = await startOrSkip(t, 'azurite', () => startAzurite());
  if (!srv) return;
  const { root, tmp, cli } = await makeRepo();
  try {
    const { url, options } = await srv.newRemote('tiers');
    const container = /^azure:\/\/([^/]+)/.exec(url)![1]!;
    await cli('remote', 'add', '-d', 'az', url);
    await cli('remote', 'modify', '--local', 'az', 'connection_string', String(options.connection_string));
    await cli('remote', 'modify', 'az', 'tier', 'cool');
    const body = 'tile 3/4/5';
    writeFileSync(join(root, 'tile.txt'), body);
    await cli('add', 'tile.txt');
    await cli('push');
    const cc = BlobServiceClient.fromConnectionString(String(options.connection_string)).getContainerClient(container);
    const p = await cc.getBlockBlobClient(objKey(md5(body))).getProperties();
    assert.equal(p.accessTier, 'Cool');

    const r = await cli('remote', 'lifecycle', 'az', '--transition-days', '30', '--storage-class', 'archive');
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(doc.rules[0].definition, {
      actions: { baseBlob: { tierToArchive: { daysAfterModificationGreaterThan: 30 } } },
      filters: { blobTypes: ['blockBlob'], prefixMatch: [`${container}/dvc-data/files/`] },
    });
    assert.match(r.stderr, /az storage account management-policy create/);
  } finally {
    await srv.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
});
