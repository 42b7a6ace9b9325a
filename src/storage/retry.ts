/**
 * Retry middleware: wraps a Backend so that transient failures (network errors, 5xx, 429) are
 * retried with exponential backoff and jitter. Non-retryable errors (missing object, access denied)
 * pass through at once. Streams returned by `get` are not retried mid-stream: the transfer engine
 * retries a whole object (or part), which it can do because every put body is re-openable.
 */
import { normalizeGet, type Backend, type GetOptions, type PutOptions, type PutSource, type StatResult } from './backend.js';
import { StorageError, isNetworkError, unreachable } from './errors.js';
import type { Readable } from 'node:stream';
import { InterruptedError } from '../lib/errors.js';

export interface RetryOptions {
  /** Attempts after the first one. */
  retries?: number;
  /** First backoff in ms; doubles each time, with jitter, capped at `maxDelayMs`. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  onRetry?: (err: unknown, attempt: number, op: string) => void;
  /** Which errors to retry (default: isRetryable). */
  shouldRetry?: (err: unknown) => boolean;
}

/**
 * Marks an error that already went through a retry loop to its end: an outer retry loop (the
 * transfer engine retrying a whole object around backend calls that retry themselves) must not
 * multiply the attempts (a persistent 5xx would otherwise be tried (1+5)*(1+5) times).
 */
const EXHAUSTED = Symbol.for('geodvc.retries-exhausted');

function markExhausted<E>(err: E): E {
  if (err && typeof err === 'object') {
    try { Object.defineProperty(err, EXHAUSTED, { value: true, enumerable: false }); } catch { /* frozen: left as is */ }
  }
  return err;
}

/** Whether `err` came out of a retry loop that gave up (so retrying it again is pointless). */
export function retriesExhausted(err: unknown): boolean {
  return !!err && typeof err === 'object' && (err as Record<symbol, unknown>)[EXHAUSTED] === true;
}

export function isRetryable(err: unknown): boolean {
  if (retriesExhausted(err)) return false;
  if (err instanceof StorageError) return err.retryable;
  return isNetworkError(err);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((res, rej) => {
    if (signal?.aborted) return rej(new InterruptedError());
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); res(); }, ms);
    const onAbort = () => { clearTimeout(t); rej(new InterruptedError()); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs `fn` with retries; the final error is a StorageError when the cause was the network. */
export async function withRetry<T>(op: string, remote: string, fn: () => Promise<T>, o: RetryOptions = {}, signal?: AbortSignal): Promise<T> {
  const retries = o.retries ?? 5;
  const base = o.baseDelayMs ?? 200;
  const max = o.maxDelayMs ?? 10_000;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (signal?.aborted) throw new InterruptedError(undefined, { cause: err });
      if (!(o.shouldRetry ?? isRetryable)(err)) throw err;
      if (attempt >= retries) {
        if (err instanceof StorageError) throw markExhausted(err);
        throw markExhausted(unreachable(remote, err));
      }
      o.onRetry?.(err, attempt + 1, op);
      const delay = Math.min(max, base * 2 ** attempt) * (0.5 + Math.random() / 2);
      await sleep(delay, signal);
    }
  }
}

/** A Backend whose calls retry transient failures. */
export function withRetries(b: Backend, o: RetryOptions = {}): Backend {
  return {
    url: b.url,
    scheme: b.scheme,
    canList: b.canList,
    stat: (key: string): Promise<StatResult | null> => withRetry('stat', b.url, () => b.stat(key), o),
    get: (key: string, opts?: GetOptions): Promise<Readable> => { const n = normalizeGet(opts); return withRetry('get', b.url, () => b.get(key, n), o, opts?.signal); },
    put: (key: string, src: PutSource, opts?: PutOptions): Promise<void> => withRetry('put', b.url, () => b.put(key, src, opts), o, opts?.signal),
    async *list(prefix: string, signal?: AbortSignal, limit?: number): AsyncIterable<string> {
      // A listing is retried as a whole (keys are collected first so a retry yields no duplicates).
      const keys = await withRetry('list', b.url, async () => {
        const out: string[] = [];
        for await (const k of b.list(prefix, signal, limit)) { out.push(k); if (limit !== undefined && out.length > limit) break; }
        return out;
      }, o, signal);
      yield* keys;
    },
    listDetailed: b.listDetailed ? async function* (prefix: string, signal?: AbortSignal, limit?: number) {
      const items = await withRetry('list', b.url, async () => {
        const out: { key: string; size: number }[] = [];
        for await (const it of b.listDetailed!(prefix, signal, limit)) { out.push(it); if (limit !== undefined && out.length > limit) break; }
        return out;
      }, o, signal);
      yield* items;
    } : undefined,
    getSmall: b.getSmall ? (key: string, signal?: AbortSignal): Promise<Buffer> => withRetry('get', b.url, () => b.getSmall!(key, signal), o, signal) : undefined,
    getToFile: b.getToFile ? (key: string, dest: string, opts?: { onBytes?: (n: number) => void; signal?: AbortSignal }) => withRetry('get', b.url, () => b.getToFile!(key, dest, opts), o, opts?.signal) : undefined,
    localPath: b.localPath ? (key: string) => b.localPath!(key) : undefined,
    delete: (key: string): Promise<void> => withRetry('delete', b.url, () => b.delete(key), o),
    close: () => b.close(),
  };
}
