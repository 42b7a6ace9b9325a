/**
 * Push a repo with a directory of many files and one big file to a remote, delete the cache and
 * the data, pull, and check every byte. Sizes per backend: the full 2,000 files + 300 MiB run for
 * the local remote and s3rver always, and for every backend with GEODVC_FULL_TRANSFER=1 (the slow
 * ones use fewer/smaller files in `npm test` to keep the suite within minutes).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { push } from '../../src/core/api/push.js';
import { pull } from '../../src/core/api/pull.js';
import { cloudStatus } from '../../src/core/api/cloud-status.js';
import { openBackend } from '../../src/storage/registry.js';
import { SERVERS, startOrSkip } from '../helpers/servers/index.js';
import { makeRepoWithData, setRemote, diffWorkspace } from './storage-repo.js';

const FULL = process.env.GEODVC_FULL_TRANSFER === '1';

export function roundtripSuite(serverName: string, small: { files: number; bigMiB: number }): void {
  const files = FULL ? 2000 : small.files;
  const bigMiB = FULL ? 300 : small.bigMiB;
  test(`push/pull round trip via ${serverName}: ${files} files + ${bigMiB} MiB`, { timeout: 900_000 }, async (t: TestContext) => {
    const srv = await startOrSkip(t, serverName, SERVERS[serverName]!);
    if (!srv) return;
    const tmp = mkdtempSync(join(tmpdir(), 'geodvc-rt-'));
    try {
      const r = await srv.newRemote('rt');
      const data = await makeRepoWithData(join(tmp, 'repo'), files, bigMiB << 20);
      // small parts so even the reduced big file goes multipart and comes back in ranges
      setRemote(data.root, 'store', r.url, { ...r.options, part_size: String(8 << 20), upload_concurrency: '4', download_concurrency: '4' }, { isDefault: true });

      const p1 = await push({ cwd: data.root, jobs: 16 });
      assert.equal(p1.failed, 0);
      assert.equal(p1.pushed, files + 2, 'every file, the .dir manifest and the big file');
      const cs = await cloudStatus({ cwd: data.root });
      assert.equal(cs.inSync, true, cs.text);
      const p2 = await push({ cwd: data.root });
      assert.equal(p2.pushed, 0, 'a second push moves nothing');

      rmSync(join(data.root, '.dvc', 'cache'), { recursive: true, force: true });
      rmSync(join(data.root, 'data', 'tiles'), { recursive: true, force: true });
      rmSync(join(data.root, 'data', 'big.tif'), { force: true });
      const st = await cloudStatus({ cwd: data.root });
      assert.equal(st.inSync, false);
      assert.equal(st.json['data/big.tif'], 'deleted');

      const pl = await pull({ cwd: data.root, jobs: 16 });
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
    } finally {
      await srv.stop();
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}
