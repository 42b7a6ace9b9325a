import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withRetry, withRetries, isRetryable, retriesExhausted } from './retry.js';
import { StorageError } from './errors.js';
import type { Backend } from './backend.js';

const fast = { baseDelayMs: 1, maxDelayMs: 2 };

/** A backend whose stat always fails with a transient (retryable) error, counting the calls. */
function failingBackend(): { b: Backend; calls: () => number } {
  let n = 0;
  const fail = async (): Promise<never> => { n++; throw new StorageError('transient', 'HTTP 503 from the server'); };
  const b = {
    url: 'mem://x', scheme: 'mem', canList: true,
    stat: fail, get: fail, put: fail, delete: fail,
    async *list() { yield* []; },
    close: async () => {},
  } as unknown as Backend;
  return { b, calls: () => n };
}

test('an outer retry loop does not multiply the attempts of a backend that retries itself', async () => {
  const { b, calls } = failingBackend();
  const wrapped = withRetries(b, { retries: 5, ...fast });
  let outer = 0;
  await assert.rejects(
    withRetry('push', 'mem://x', async () => { outer++; await wrapped.stat('k'); }, { retries: 2, ...fast }),
    (e: unknown) => e instanceof StorageError && retriesExhausted(e),
  );
  assert.equal(calls(), 6, 'the backend call is tried 1 + 5 times, not (1 + 2) * (1 + 5)');
  assert.equal(outer, 1, 'the outer loop gives up at once on an exhausted error');
});

test('errors raised outside the backend loop (a body cut mid-stream) stay retryable for the outer loop', async () => {
  let n = 0;
  const r = await withRetry('get', 'mem://x', async () => {
    n++;
    if (n < 3) throw new StorageError('transient', 'stream ended early');
    return 'ok';
  }, { retries: 2, ...fast });
  assert.equal(r, 'ok');
  assert.equal(n, 3);
  assert.equal(isRetryable(new StorageError('transient', 'x')), true);
  assert.equal(isRetryable(new StorageError('object-missing', 'x')), false);
});

test('a network error that exhausts its retries becomes an unreachable StorageError, marked exhausted', async () => {
  let n = 0;
  await assert.rejects(
    withRetry('stat', 'mem://x', async () => { n++; throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }); }, { retries: 1, ...fast }),
    (e: unknown) => e instanceof StorageError && e.kind === 'unreachable' && retriesExhausted(e) && !isRetryable(e),
  );
  assert.equal(n, 2);
});
