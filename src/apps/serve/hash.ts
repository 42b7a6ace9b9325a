import { createHash } from 'node:crypto';
import { createXXHash128 } from 'hash-wasm';
import type { HashAlgo } from './keys.js';

/** A streaming hasher returning a lower-case hex digest. */
export interface StreamHasher {
  update(chunk: Uint8Array): void;
  digestHex(): string;
}

/** Creates a streaming hasher for an object algorithm (md5/sha256 via node:crypto, xxh128 via hash-wasm). */
export async function createStreamHasher(algo: HashAlgo): Promise<StreamHasher> {
  if (algo === 'xxh128') {
    const h = await createXXHash128();
    h.init();
    return { update: (c) => { h.update(c); }, digestHex: () => h.digest('hex') };
  }
  const h = createHash(algo);
  return { update: (c) => { h.update(c); }, digestHex: () => h.digest('hex') };
}
