import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { nativeXxh128 } from './xxh-native.js';

const require = createRequire(import.meta.url);

test('native XXH3-128 (libxxhash via koffi) equals the WASM hasher: one-shot and streamed in odd chunks', async () => {
  const nx = nativeXxh128();
  // CI installs Debian's xxhash (libxxhash0): the native path must be there, not silently absent
  if (process.env.CI === 'true') assert.ok(nx, 'libxxhash0 + koffi must load under CI');
  if (!nx) return;
  const hw = require('hash-wasm') as { createXXHash128: () => Promise<{ init(): void; update(d: Uint8Array): void; digest(e: 'hex'): string }> };
  const w = await hw.createXXHash128();
  for (const size of [0, 1, 15, 16, 17, 128, 129, 240, 241, 1024, 4096, 65_537, 3 << 20]) {
    const buf = randomBytes(size);
    w.init(); w.update(buf);
    const ref = w.digest('hex');
    assert.equal(nx.oneShot(buf), ref, `one-shot, ${size} bytes`);
    const h = nx.create();
    for (let off = 0; off < size;) { const n = Math.min(size - off, 1 + ((off * 7919) % 70_001)); h.update(buf.subarray(off, off + n)); off += n; }
    assert.equal(h.digest(), ref, `streamed, ${size} bytes`);
  }
  // a view with a byte offset hashes the view, not its whole backing buffer
  const big = randomBytes(1000);
  w.init(); w.update(big.subarray(100, 900));
  assert.equal(nx.oneShot(big.subarray(100, 900)), w.digest('hex'));
});
