/** Bounded concurrency: runs `fn` over `items` with at most `limit` in flight, results in order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>, signal?: AbortSignal): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed: unknown;
  const n = Math.max(1, Math.min(limit, items.length));
  async function worker(): Promise<void> {
    while (failed === undefined) {
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      const i = next++;
      if (i >= items.length) return;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (err) {
        failed ??= err;
        throw err;
      }
    }
  }
  const workers = Array.from({ length: n }, () => worker());
  const settled = await Promise.allSettled(workers);
  if (failed !== undefined) throw failed;
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
  return results;
}

/** Like mapLimit but collects per-item failures instead of stopping at the first one. */
export async function mapLimitSettled<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>, signal?: AbortSignal): Promise<PromiseSettledResult<R>[]> {
  return mapLimit(items, limit, async (item, i) => {
    try {
      return { status: 'fulfilled', value: await fn(item, i) } as PromiseFulfilledResult<R>;
    } catch (reason) {
      if (signal?.aborted) throw reason;
      return { status: 'rejected', reason } as PromiseRejectedResult;
    }
  }, signal);
}
