/** s3rver (npm) as a child process under --openssl-legacy-provider; objects are files on disk. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { S3Client, CreateBucketCommand } from '@aws-sdk/client-s3';
import { spawnUntil, killChild, type TestServer } from './common.js';

const require = createRequire(import.meta.url);

export async function startS3rver(bucket = 'geodvc-test'): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'geodvc-s3rver-'));
  const bin = join(require.resolve('s3rver/package.json'), '..', 'bin', 's3rver.js');
  let port = 0;
  let child: import('node:child_process').ChildProcess | undefined;
  const start = async () => {
    const s = await spawnUntil(process.execPath, ['--openssl-legacy-provider', bin, '-d', dir, '-a', '127.0.0.1', '-p', String(port), '--silent', '--configure-bucket', bucket],
      /listening on 127\.0\.0\.1:(\d+)/, { env: { ...process.env, NODE_OPTIONS: '' } });
    child = s.child;
    port = Number(s.match[1]);
  };
  await start();
  const endpoint = () => `http://127.0.0.1:${port}`;
  const options = () => ({ endpointurl: endpoint(), access_key_id: 'S3RVER', secret_access_key: 'S3RVER', region: 'us-east-1' });
  let n = 0;
  const srv: TestServer = {
    name: 's3rver',
    url: `s3://${bucket}/dvc-data`,
    get options() { return options(); },
    async newRemote(tag: string) {
      const b = `${bucket}-${tag}-${++n}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 60);
      const c = new S3Client({ endpoint: endpoint(), forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
      await c.send(new CreateBucketCommand({ Bucket: b }));
      c.destroy();
      return { url: `s3://${b}/dvc-data`, options: options() };
    },
    objectPath(remoteUrl: string, key: string) {
      const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(remoteUrl)!;
      const k = m[2] ? `${m[2]}/${key}` : key;
      return join(dir, m[1]!, `${k}._S3rver_object`);
    },
    async kill() { await killChild(child); },
    async restart() { await start(); },
    async stop() { await killChild(child); rmSync(dir, { recursive: true, force: true }); },
  };
  return srv;
}
