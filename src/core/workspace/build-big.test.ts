/**
 * Big files: with cache.type copy a file of 32 MiB or more is hashed on one worker while another
 * copies it into the cache (copy_file_range); with hardlinks it is hashed with overlapped reads.
 * Both must store exactly the file's bytes under the right oid, read-only, leaving no temp file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir, gitInit } from '../../../test/helpers/tmp.js';
import { initRepo } from '../repo/init.js';
import { add } from '../api/add.js';
import { setMetaExtractor } from '../api/meta-hook.js';
import { setConfigValue } from '../repo/config.js';

function writeBig(p: string, mib: number): string {
  const h = createHash('md5');
  const fd = openSync(p, 'w');
  const chunk = randomBytes(1 << 20);
  for (let i = 0; i < mib; i++) { chunk.writeUInt32LE(i, 0); writeSync(fd, chunk); h.update(chunk); }
  writeSync(fd, Buffer.from('tail')); h.update('tail');
  closeSync(fd);
  return h.digest('hex');
}

function temps(dir: string): string[] {
  const out: string[] = [];
  const rec = (d: string) => { for (const e of readdirSync(d, { withFileTypes: true })) { if (e.name.startsWith('.geodvc-tmp-')) out.push(join(d, e.name)); if (e.isDirectory()) rec(join(d, e.name)); } };
  rec(dir);
  return out;
}

for (const type of ['copy', 'hardlink'] as const) {
  test(`add of a 40 MiB file with cache.type ${type}: object = file bytes, 0444, no temp left`, async () => {
    const { dir, cleanup } = makeTmpDir(`geodvc-big-${type}-`);
    setMetaExtractor(null);
    try {
      gitInit(dir);
      initRepo(dir);
      setConfigValue(dir, 'repo', 'cache.type', type);
      const md5 = writeBig(join(dir, 'big.bin'), 40);
      const r = await add({ cwd: dir, targets: ['big.bin'] });
      assert.equal(r.outputs[0]!.oid, md5);
      const obj = join(dir, '.dvc/cache/files/md5', md5.slice(0, 2), md5.slice(2));
      assert.equal(statSync(obj).mode & 0o777, 0o444);
      assert.equal(createHash('md5').update(readFileSync(obj)).digest('hex'), md5);
      assert.equal(statSync(obj).ino === statSync(join(dir, 'big.bin')).ino, type === 'hardlink');
      assert.deepEqual(temps(join(dir, '.dvc')), []);
    } finally { cleanup(); }
  });
}
