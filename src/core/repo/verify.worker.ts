/**
 * A worker of fsck's bulk verification (verify.ts): hashes each object of a batch in a tight
 * synchronous read loop and sends back only the mismatches, plus bytes read for progress.
 */
import { parentPort } from 'node:worker_threads';
import { closeSync, openSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';

/** A batch: [path, expected oid, node:crypto algorithm] per object. */
export interface VerifyBatch { id: number; items: [string, string, string][] }
/** Progress (`bytes`) or the batch's end with its mismatches: [index, actual] or [index, null, errno code, message]. */
export interface VerifyReply { id: number; done?: boolean; bytes: number; out?: [number, string | null, string?, string?][] }

const port = parentPort!;
const buf = Buffer.allocUnsafe(1 << 20);
port.on('message', (m: VerifyBatch) => {
  const out: NonNullable<VerifyReply['out']> = [];
  let pending = 0;
  m.items.forEach(([path, oid, algo], i) => {
    try {
      const fd = openSync(path, 'r');
      try {
        const h = createHash(algo);
        let n: number;
        while ((n = readSync(fd, buf, 0, buf.length, null)) > 0) {
          h.update(buf.subarray(0, n));
          pending += n;
          if (pending >= 64 << 20) { port.postMessage({ id: m.id, bytes: pending } satisfies VerifyReply); pending = 0; }
        }
        const d = h.digest('hex') + (oid.endsWith('.dir') ? '.dir' : '');
        if (d !== oid) out.push([i, d]);
      } finally { closeSync(fd); }
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      out.push([i, null, err.code, err.message]);
    }
  });
  port.postMessage({ id: m.id, done: true, out, bytes: pending } satisfies VerifyReply);
});
