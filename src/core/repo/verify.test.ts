import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { makeTmpDir } from '../../../test/helpers/tmp.js';
import { verifyObjects, type VerifyItem } from './verify.js';

function make(dir: string, n: number, algo: 'md5' | 'sha256'): VerifyItem[] {
  mkdirSync(dir, { recursive: true });
  const items: VerifyItem[] = [];
  for (let i = 0; i < n; i++) {
    const content = `object ${i}`;
    const oid = createHash(algo).update(content).digest('hex');
    const path = join(dir, `${algo}-${i}`);
    writeFileSync(path, content);
    items.push({ path, oid, hashName: algo, size: content.length });
  }
  return items;
}

for (const [label, n] of [['in this thread', 50], ['in worker threads', 3200]] as const) {
  test(`verifyObjects finds exactly the corrupt and unreadable objects (${label})`, async () => {
    const t = makeTmpDir();
    try {
      const items = [...make(join(t.dir, 'a'), n, 'md5'), ...make(join(t.dir, 'b'), 20, 'sha256')];
      writeFileSync(items[7]!.path, 'tampered');
      writeFileSync(items[n + 3]!.path, 'tampered too');
      items.push({ path: join(t.dir, 'gone'), oid: 'd41d8cd98f00b204e9800998ecf8427e', hashName: 'md5', size: 0 });
      let last = 0;
      const bad = await verifyObjects(items, { onProgress: (d) => { last = d; } });
      assert.deepEqual(bad.map((b) => b.item.path).sort(), [items[7]!.path, items[n + 3]!.path, join(t.dir, 'gone')].sort());
      assert.equal(bad.find((b) => b.item.path === items[7]!.path)!.actual, createHash('md5').update('tampered').digest('hex'));
      assert.equal(bad.find((b) => b.item.path.endsWith('gone'))!.errorCode, 'ENOENT');
      assert.ok(last > 0);
    } finally { t.cleanup(); }
  });
}
