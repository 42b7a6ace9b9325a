/**
 * The round trip, against every backend in `npm test`: push a repo with a directory of
 * 2,000 files and one 300 MiB file, delete the cache and the data, pull, and check every byte.
 * Each phase's time is printed as a test diagnostic (docs/remotes.md lists them per backend).
 * GEODVC_ROUNDTRIP_FILES / GEODVC_ROUNDTRIP_MIB shrink it for a quick local run; CI uses the
 * full sizes.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { push } from '../../src/core/api/push.js';
import { pull } from '../../src/core/api/pull.js';
import { cloudStatus } from '../../src/core/api/cloud-status.js';
import { openBackend } from '../../src/storage/registry.js';
import { SERVERS, startOrSkip, type TestServer } from '../helpers/servers/index.js';
import { makeRepoWithData, setRemote, diffWorkspace } from './storage-repo.js';

export const ROUNDTRIP_FILES = Number(process.env.GEODVC_ROUNDTRIP_FILES ?? 2000);
export const ROUNDTRIP_MIB = Number(process.env.GEODVC_ROUNDTRIP_MIB ?? 300);

export function roundtripSuite(serverName: string, opts: { start?: () => Promise<TestServer> } = {}): void {
  const files = ROUNDTRIP_FILES;
  const bigMiB = ROUNDTRIP_MIB;
  test(`push/pull round trip via ${serverName}: ${files} files + ${bigMiB} MiB`, { timeout: 900_000 }, async (t: TestContext) => {
    const srv = await startOrSkip(t, serverName, opts.start ?? SERVERS[serverName]!);
    if (!srv) return;
    const tmp = mkdtempSync(join(tmpdir(), 'geodvc-rt-'));
    const times: string[] = [];
    let t0 = performance.now();
    const lap = (what: string) => { const t1 = performance.now(); times.push(`${what} ${((t1 - t0) / 1000).toFixed(1)} s`); t0 = t1; };
    try {
      const r = await srv.newRemote('rt');
      const data = await makeRepoWithData(join(tmp, 'repo'), files, bigMiB << 20);
      lap('setup');
      // 8 MiB parts: the big file goes multipart and comes back in ranges (38 parts of 300 MiB)
      setRemote(data.root, 'store', r.url, { ...r.options, part_size: String(8 << 20), upload_concurrency: '4', download_concurrency: '4' }, { isDefault: true });

      const p1 = await push({ cwd: data.root, jobs: 16 });
      lap('push');
      assert.equal(p1.failed, 0);
      assert.equal(p1.pushed, files + 2, 'every file, the .dir manifest and the big file');
      const cs = await cloudStatus({ cwd: data.root });
      lap('status -c');
      assert.equal(cs.inSync, true, cs.text);
      const p2 = await push({ cwd: data.root });
      lap('no-op push');
      assert.equal(p2.pushed, 0, 'a second push moves nothing');

      rmSync(join(data.root, '.dvc', 'cache'), { recursive: true, force: true });
      rmSync(join(data.root, 'data', 'tiles'), { recursive: true, force: true });
      rmSync(join(data.root, 'data', 'big.tif'), { force: true });
      const st = await cloudStatus({ cwd: data.root });
      assert.equal(st.inSync, false);
      assert.equal(st.json['data/big.tif'], 'deleted');
      t0 = performance.now();

      const pl = await pull({ cwd: data.root, jobs: 16 });
      lap('pull');
      assert.deepEqual(pl.failed, []);
      assert.equal(pl.fetched, files + 2);
      assert.equal(pl.added.length, files + 1);
      assert.deepEqual(diffWorkspace(data), [], 'every byte matches after the pull');

      // the remote holds exactly the objects, once each, and no temp leftovers
      const b = await openBackend(r.url, r.options);
      if (b.canList) {
        const keys: string[] = [];
        for await (const k of b.list('')) keys.push(k);
        assert.equal(keys.length, files + 2, `remote keys: ${keys.filter((k) => !/^files\/md5\/[0-9a-f]{2}\/[0-9a-f]{30}(\.dir)?$/.test(k)).slice(0, 5).join(', ')}`);
        assert.equal(new Set(keys).size, keys.length);
        assert.ok(keys.every((k) => /^files\/md5\/[0-9a-f]{2}\/[0-9a-f]{30}(\.dir)?$/.test(k)), 'DVC layout');
      }
      await b.close();
      t.diagnostic(`${serverName}: ${times.join(', ')} (load average ${loadavg()[0]!.toFixed(1)})`);
    } finally {
      await srv.stop();
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}
