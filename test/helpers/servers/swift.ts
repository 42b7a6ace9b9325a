/**
 * OpenStack Swift (Debian) with the s3api and tempauth middlewares: the S3 server with real
 * signatures (a wrong secret is a 403), correct ranges and AWS-style multipart ETags. Account,
 * container, object and proxy servers plus memcached run as root from a temp dir (rings built in
 * one /usr/bin/python3 process); see ../shared/reference/test-servers.md §1b. ~10 s to start.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client, CreateBucketCommand } from '@aws-sdk/client-s3';
import { freePort, killChild, waitFor, type TestServer } from './common.js';

const BINS = ['/usr/bin/swift-account-server', '/usr/bin/swift-container-server', '/usr/bin/swift-object-server', '/usr/bin/swift-proxy-server', '/usr/bin/memcached'];

export const SWIFT_KEYS = { access_key_id: 'test:tester', secret_access_key: 'testing' };

export async function startSwift(bucket = 'geodvc-test'): Promise<TestServer> {
  for (const b of BINS) if (!existsSync(b)) throw new Error(`${b} is not installed (apt: swift swift-proxy swift-account swift-container swift-object memcached)`);
  const dir = mkdtempSync(join(tmpdir(), 'geodvc-swift-'));
  const etc = join(dir, 'etc');
  mkdirSync(etc);
  mkdirSync(join(dir, 'node', 'd1'), { recursive: true });
  mkdirSync(join(dir, 'run'));
  const [acct, cont, obj, proxy, mc] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  writeFileSync(join(etc, 'swift.conf'), '[swift-hash]\nswift_hash_path_prefix = geodvc\nswift_hash_path_suffix = tests\n\n[storage-policy:0]\nname = Policy-0\ndefault = yes\n');
  const server = (name: string, port: number, extra = '') => writeFileSync(join(etc, `${name}-server.conf`), [
    '[DEFAULT]', 'bind_ip = 127.0.0.1', `bind_port = ${port}`, 'workers = 0', 'user = root', `swift_dir = ${etc}`,
    `devices = ${join(dir, 'node')}`, 'mount_check = false', 'log_level = WARNING', '',
    '[pipeline:main]', `pipeline = ${name}-server`, '', `[app:${name}-server]`, `use = egg:swift#${name}`, '', extra,
  ].join('\n'));
  server('account', acct);
  server('container', cont, '[container-sharder]\n\n[container-updater]\n');
  server('object', obj);
  const filters = ['catch_errors', 'gatekeeper', 'healthcheck', 'listing_formats', 'bulk', 'copy', 'slo', 'dlo'];
  writeFileSync(join(etc, 'proxy-server.conf'), [
    '[DEFAULT]', 'bind_ip = 127.0.0.1', `bind_port = ${proxy}`, 'workers = 0', 'user = root', `swift_dir = ${etc}`, 'log_level = WARNING', '',
    '[pipeline:main]', 'pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk s3api tempauth copy slo dlo proxy-logging proxy-server', '',
    '[app:proxy-server]', 'use = egg:swift#proxy', 'account_autocreate = true', 'allow_account_management = true', '',
    '[filter:tempauth]', 'use = egg:swift#tempauth', 'user_test_tester = testing .admin', '',
    '[filter:s3api]', 'use = egg:swift#s3api', 'location = us-east-1', '',
    '[filter:cache]', 'use = egg:swift#memcache', `memcache_servers = 127.0.0.1:${mc}`, '',
    '[filter:proxy-logging]', 'use = egg:swift#proxy_logging', '',
    ...filters.flatMap((f) => [`[filter:${f.replace('_', '_')}]`, `use = egg:swift#${f}`, '']),
  ].join('\n'));
  execFileSync('/usr/bin/python3', ['-c', `
import sys
from swift.common.ring import RingBuilder
d = sys.argv[1]
for name, port in (('account', ${acct}), ('container', ${cont}), ('object', ${obj})):
    b = RingBuilder(10, 1, 1)
    b.add_dev({'id': 0, 'region': 1, 'zone': 1, 'ip': '127.0.0.1', 'port': port, 'device': 'd1', 'weight': 100})
    b.rebalance()
    b.get_ring().save('%s/%s.ring.gz' % (d, name))
`, etc], { stdio: 'pipe' });

  let children: ChildProcess[] = [];
  const start = async () => {
    const spawnIt = (cmd: string, args: string[]) => {
      const c = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir });
      c.stderr!.on('data', () => {});
      children.push(c);
      return c;
    };
    children = [];
    spawnIt('/usr/bin/memcached', ['-l', '127.0.0.1', '-p', String(mc), '-U', '0', '-u', 'root', '-m', '64']);
    for (const n of ['account', 'container', 'object', 'proxy']) spawnIt(`/usr/bin/swift-${n}-server`, [join(etc, `${n}-server.conf`)]);
    await waitFor(async () => {
      for (const c of children) if (c.exitCode !== null) throw new Error('a swift process exited during start-up');
      const r = await fetch(`http://127.0.0.1:${proxy}/healthcheck`);
      await r.arrayBuffer();
      return r.status === 200;
    }, 120_000, 'swift proxy');
    // the object/container servers answer a little after the proxy: wait until a bucket can be made
    const c = new S3Client({ endpoint: `http://127.0.0.1:${proxy}`, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: SWIFT_KEYS.access_key_id, secretAccessKey: SWIFT_KEYS.secret_access_key }, requestChecksumCalculation: 'WHEN_REQUIRED' });
    await waitFor(async () => { await c.send(new CreateBucketCommand({ Bucket: bucket })).catch((e) => { if (e?.name !== 'BucketAlreadyOwnedByYou' && e?.name !== 'BucketAlreadyExists') throw e; }); return true; }, 120_000, 'swift bucket');
    c.destroy();
  };
  try { await start(); } catch (err) { for (const c of children) await killChild(c); rmSync(dir, { recursive: true, force: true }); throw err; }
  const options = () => ({ endpointurl: `http://127.0.0.1:${proxy}`, ...SWIFT_KEYS, region: 'us-east-1' });
  let n = 0;
  return {
    name: 'swift',
    url: `s3://${bucket}/dvc-data`,
    get options() { return options(); },
    async newRemote(tag: string) {
      const b = `${bucket}-${tag}-${++n}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 60);
      const c = new S3Client({ endpoint: `http://127.0.0.1:${proxy}`, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: SWIFT_KEYS.access_key_id, secretAccessKey: SWIFT_KEYS.secret_access_key }, requestChecksumCalculation: 'WHEN_REQUIRED' });
      await c.send(new CreateBucketCommand({ Bucket: b }));
      c.destroy();
      return { url: `s3://${b}/dvc-data`, options: options() };
    },
    async kill() { for (const c of children) await killChild(c); },
    async restart() { await start(); },
    async stop() { for (const c of children) await killChild(c); rmSync(dir, { recursive: true, force: true }); },
  };
}
