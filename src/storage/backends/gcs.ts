/**
 * Google Cloud Storage through @google-cloud/storage (the only importer of it). URL
 * `gs://BUCKET/PREFIX`. Credentials: `credentialpath` (a service-account JSON key), else the SDK's
 * default (GOOGLE_APPLICATION_CREDENTIALS, gcloud ADC). `endpointurl` points the SDK at another
 * endpoint (tests use a node:http fake of the JSON API: no GCS emulator installs here).
 */
import type { Readable } from 'node:stream';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { Storage, type Bucket } from '@google-cloud/storage';
import type { Backend, GetOptions, LifecycleResult, LifecycleRule, PutOptions, PutSource, StatResult } from '../backend.js';
import { StorageError, fromHttpStatus, isNetworkError, unreachable } from '../errors.js';
import type { RemoteOptions } from '../registry.js';

const str = (v: unknown): string | undefined => (v === undefined || v === null || v === '' ? undefined : String(v));

export async function openGcs(url: string, o: RemoteOptions): Promise<Backend> {
  const m = /^gs:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m || !m[1]) throw new StorageError('bad-url', `bad GCS URL '${url}'`, { hint: 'use gs://BUCKET/PREFIX' });
  let keyFilename = str(o.credentialpath);
  if (keyFilename?.startsWith('~')) keyFilename = homedir() + keyFilename.slice(1);
  if (keyFilename && !existsSync(keyFilename)) {
    throw new StorageError('credentials', `the credential file '${keyFilename}' does not exist`, { hint: 'point `credentialpath` at a service-account JSON key file' });
  }
  const storage = new Storage({
    apiEndpoint: str(o.endpointurl),
    projectId: str(o.projectname) ?? (str(o.endpointurl) ? 'geodvc' : undefined),
    keyFilename,
    retryOptions: { autoRetry: false, maxRetries: 0 },
  });
  return new GcsBackend(url, storage.bucket(m[1]), m[1], m[2]!.replace(/\/+$/, ''), str(o.storage_class)?.toUpperCase());
}

export class GcsBackend implements Backend {
  readonly scheme = 'gs';
  readonly canList = true;
  constructor(readonly url: string, private bucket: Bucket, private bucketName: string, private prefix: string,
    /** `storage_class` of the remote (NEARLINE, COLDLINE, ARCHIVE…): set on every upload. */
    readonly storageClass?: string) {}
  private uploadMeta(): { metadata?: { storageClass: string } } { return this.storageClass ? { metadata: { storageClass: this.storageClass } } : {}; }
  private key(k: string): string { return this.prefix ? `${this.prefix}/${k}` : k; }

  private wrap(err: any, what: string): Error {
    if (err instanceof StorageError) return err;
    const code = typeof err?.code === 'number' ? err.code : undefined;
    const reason = err?.errors?.[0]?.reason;
    if (code === 404 && /bucket/i.test(err?.message ?? '') && !/object/i.test(err?.message ?? '')) {
      return new StorageError('bucket-missing', `bucket '${this.bucketName}' of remote '${this.url}' does not exist`, { cause: err, hint: 'create the bucket, or fix the remote URL' });
    }
    if (code) return fromHttpStatus(code, what, this.url, err);
    if (reason === 'notFound') return new StorageError('object-missing', `${what} not found on remote '${this.url}'`, { cause: err });
    if (isNetworkError(err)) return unreachable(this.url, err);
    return new StorageError('remote-error', `GCS error on ${what} at '${this.url}': ${err?.message ?? err}`, { cause: err });
  }

  async stat(key: string): Promise<StatResult | null> {
    try {
      const [md] = await this.bucket.file(this.key(key)).getMetadata();
      return { size: Number(md.size ?? 0), etag: md.etag };
    } catch (err: any) {
      if (err?.code === 404) {
        const [exists] = await this.bucket.exists().catch((e) => { throw this.wrap(e, key); });
        if (!exists) throw this.wrap({ code: 404, message: 'bucket not found' }, key);
        return null;
      }
      throw this.wrap(err, key);
    }
  }

  async get(key: string, opts: GetOptions = {}): Promise<Readable> {
    const r = opts.range;
    // Probe first so a missing object is a clean error rather than a stream error.
    const st = await this.stat(key);
    if (!st) throw new StorageError('object-missing', `${key} not found on remote '${this.url}'`);
    const s = this.bucket.file(this.key(key)).createReadStream({
      start: r?.start, end: r?.end,
      // the SDK validates whole-object reads itself (md5/crc32c); we hash everything again anyway
      validation: r ? false : 'crc32c',
      decompress: false,
    });
    return s as Readable;
  }

  /** Small objects: one media GET (no metadata probe first); a 404 is object-missing. */
  async getSmall(key: string): Promise<Buffer> {
    try {
      const [buf] = await this.bucket.file(this.key(key)).download({ validation: false, decompress: false } as any);
      return buf;
    } catch (err) { throw this.wrap(err, key); }
  }

  async put(key: string, src: PutSource, opts: PutOptions = {}): Promise<void> {
    const f = this.bucket.file(this.key(key));
    try {
      if ('data' in src) {
        await f.save(Buffer.from(src.data.buffer, src.data.byteOffset, src.data.byteLength), { resumable: false, validation: 'md5', ...this.uploadMeta() });
        opts.onBytes?.(src.data.byteLength);
        return;
      }
      await this.bucket.upload(src.path, { destination: this.key(key), resumable: src.size > (8 << 20), validation: 'md5', ...this.uploadMeta() });
      opts.onBytes?.(src.size);
    } catch (err) { throw this.wrap(err, key); }
  }

  async *list(prefix: string): AsyncIterable<string> {
    const strip = this.prefix ? this.prefix.length + 1 : 0;
    let pageToken: string | undefined;
    do {
      let files, next: any;
      try {
        [files, next] = await this.bucket.getFiles({ prefix: this.key(prefix), autoPaginate: false, maxResults: 1000, pageToken });
      } catch (err) { throw this.wrap(err, `listing of ${prefix || '/'}`); }
      for (const f of files) yield f.name.slice(strip);
      pageToken = next?.pageToken;
    } while (pageToken);
  }

  async delete(key: string): Promise<void> {
    try { await this.bucket.file(this.key(key)).delete({ ignoreNotFound: true }); } catch (err) { throw this.wrap(err, key); }
  }

  /** Reads the bucket's lifecycle, replaces our rules (same prefix) and writes it back. */
  async setLifecycle(rule: LifecycleRule, opts: { dry?: boolean } = {}): Promise<LifecycleResult> {
    const prefix = this.key(rule.prefix);
    const ours: any[] = [{ action: { type: 'SetStorageClass', storageClass: rule.storageClass }, condition: { age: rule.transitionDays, matchesPrefix: [prefix] } }];
    if (rule.expireNoncurrentDays) ours.push({ action: { type: 'Delete' }, condition: { daysSinceNoncurrentTime: rule.expireNoncurrentDays, matchesPrefix: [prefix] } });
    if (opts.dry) return { applied: false, bucket: this.bucketName, prefix, document: { lifecycle: { rule: ours } } };
    let existing: any[] = [];
    try {
      const [md] = await this.bucket.getMetadata();
      existing = (md as any).lifecycle?.rule ?? [];
    } catch (err) { throw this.wrap(err, `the metadata of bucket '${this.bucketName}'`); }
    const same = (r: any) => JSON.stringify(r?.condition?.matchesPrefix ?? []) === JSON.stringify([prefix]);
    const kept = existing.filter((r) => !same(r));
    const document = { lifecycle: { rule: [...kept, ...ours] } };
    try { await this.bucket.setMetadata(document as any); } catch (err) { throw this.wrap(err, `the lifecycle of bucket '${this.bucketName}'`); }
    return { applied: true, bucket: this.bucketName, prefix, document, keptRules: kept.length };
  }

  async close(): Promise<void> {}
}
