/**
 * S3 (and S3-compatible: s3rver, Swift s3api, MinIO…) through @aws-sdk/client-s3. The only importer
 * of the AWS SDK. Large objects go up as concurrent multipart uploads (lib-storage `Upload`, part
 * size and concurrency from the caller). Credentials: the remote's access_key_id/secret_access_key,
 * else `credentialpath` + `profile` (an AWS credentials INI file), else the SDK's default chain.
 * `request_checksum_calculation` (default `when_required`) is the SDK's integrity-checksum
 * behaviour: `when_supported` is the SDK default but corrupts streamed bodies on some
 * S3-compatible servers (s3rver stores the aws-chunked framing).
 */
import { createReadStream, readFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { Readable } from 'node:stream';
import {
  S3Client, HeadObjectCommand, GetObjectCommand, PutObjectCommand, DeleteObjectCommand,
  ListObjectsV2Command, HeadBucketCommand, GetBucketLifecycleConfigurationCommand,
  PutBucketLifecycleConfigurationCommand, type LifecycleRule as S3LifecycleRule, type StorageClass,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Backend, GetOptions, LifecycleResult, LifecycleRule, PutOptions, PutSource, StatResult } from '../backend.js';
import { StorageError, fromHttpStatus, isNetworkError, unreachable } from '../errors.js';
import type { RemoteOptions } from '../registry.js';

const str = (v: unknown): string | undefined => (v === undefined || v === null || v === '' ? undefined : String(v));

/** Parses an AWS credentials/config INI file into sections. */
export function parseIni(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let cur: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[\s*(?:profile\s+)?([^\]]+?)\s*\]$/.exec(line);
    if (sec) { cur = out[sec[1]!] ??= {}; continue; }
    const kv = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (kv && cur) cur[kv[1]!.toLowerCase()] = kv[2]!;
  }
  return out;
}

function expandHome(p: string): string { return p.startsWith('~') ? homedir() + p.slice(1) : p; }

export function resolveS3Credentials(o: RemoteOptions): { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined {
  const ak = str(o.access_key_id), sk = str(o.secret_access_key);
  if (ak && sk) return { accessKeyId: ak, secretAccessKey: sk, sessionToken: str(o.session_token) };
  const path = str(o.credentialpath);
  if (!path && !str(o.profile)) return undefined;
  const file = expandHome(path ?? process.env.AWS_SHARED_CREDENTIALS_FILE ?? '~/.aws/credentials');
  if (!existsSync(file)) {
    throw new StorageError('credentials', `the credential file '${file}' does not exist`, {
      hint: 'create it (an INI file with [default] aws_access_key_id / aws_secret_access_key) or fix the remote\'s `credentialpath`',
    });
  }
  const profile = str(o.profile) ?? process.env.AWS_PROFILE ?? 'default';
  const sec = parseIni(readFileSync(file, 'utf8'))[profile];
  if (!sec?.aws_access_key_id || !sec.aws_secret_access_key) {
    throw new StorageError('credentials', `profile '${profile}' in '${file}' has no aws_access_key_id/aws_secret_access_key`, {
      hint: 'add the keys to that profile, or set the remote\'s `profile` option to a profile that has them',
    });
  }
  return { accessKeyId: sec.aws_access_key_id, secretAccessKey: sec.aws_secret_access_key, sessionToken: sec.aws_session_token };
}

export async function openS3(url: string, o: RemoteOptions): Promise<Backend> {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m || !m[1]) throw new StorageError('bad-url', `bad S3 URL '${url}'`, { hint: 'use s3://BUCKET/PREFIX' });
  const bucket = m[1];
  const prefix = m[2]!.replace(/\/+$/, '');
  const credentials = resolveS3Credentials(o);
  const endpoint = str(o.endpointurl);
  const cc = (str(o.request_checksum_calculation) ?? 'when_required').toLowerCase();
  if (cc !== 'when_required' && cc !== 'when_supported') {
    throw new StorageError('bad-option', `request_checksum_calculation must be when_required or when_supported, not '${cc}'`);
  }
  const timeout = o.timeout !== undefined ? Number(o.timeout) * 1000 : undefined;
  // The SDK prints a notice on every run under Node < 22 (future SDK releases will need 22); the
  // release we pin supports Node 20, so the notice is noise on stderr. Its own switch, unless set.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const client = new S3Client({
    region: str(o.region) ?? process.env.AWS_REGION ?? 'us-east-1',
    endpoint,
    forcePathStyle: !!endpoint,
    credentials,
    maxAttempts: 1,
    requestChecksumCalculation: cc === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: timeout ? { requestTimeout: timeout, connectionTimeout: timeout } as any : undefined,
  });
  const sc = str(o.storage_class)?.toUpperCase().replace(/-/g, '_');
  return new S3Backend(url, client, bucket, prefix, sc as StorageClass | undefined);
}

export class S3Backend implements Backend {
  readonly scheme = 's3';
  readonly canList = true;
  constructor(readonly url: string, private client: S3Client, private bucket: string, private prefix: string,
    /** `storage_class` of the remote: sent as x-amz-storage-class on every upload. */
    readonly storageClass?: StorageClass) {}

  private key(k: string): string { return this.prefix ? `${this.prefix}/${k}` : k; }

  private wrap(err: any, what: string): Error {
    if (err instanceof StorageError) return err;
    const status: number | undefined = err?.$metadata?.httpStatusCode;
    const name: string = err?.name ?? err?.Code ?? '';
    if (name === 'NoSuchBucket') {
      return new StorageError('bucket-missing', `bucket '${this.bucket}' of remote '${this.url}' does not exist`, { cause: err, hint: 'create the bucket, or fix the remote URL (`geodvc remote modify NAME url s3://BUCKET/PATH`)' });
    }
    if (name === 'InvalidStorageClass') {
      return new StorageError('bad-option', `the server of remote '${this.url}' refused storage class '${this.storageClass ?? 'STANDARD'}' (InvalidStorageClass): pick another \`storage_class\` or unset it (\`geodvc remote modify NAME storage_class --unset\`)`, {
        cause: err, hint: 'pick a class this server offers, or send none: `geodvc remote modify NAME storage_class --unset` (S3-compatible servers often know only STANDARD)',
      });
    }
    if (name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch' || name === 'AccessDenied' || status === 403) {
      return new StorageError('access-denied', `access denied to ${what} on remote '${this.url}' (${name || status})`, { cause: err, hint: 'check the remote\'s credentials (access_key_id/secret_access_key, credentialpath, profile) and the bucket policy' });
    }
    if (status) return fromHttpStatus(status, what, this.url, err);
    if (isNetworkError(err)) return unreachable(this.url, err);
    return new StorageError('remote-error', `S3 error on ${what} at '${this.url}': ${err?.message ?? err}`, { cause: err });
  }

  async stat(key: string): Promise<StatResult | null> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      return { size: Number(r.ContentLength ?? 0), etag: r.ETag };
    } catch (err: any) {
      if (err?.$metadata?.httpStatusCode === 404 && err?.name !== 'NoSuchBucket') {
        // a HEAD has no body: tell a missing bucket from a missing key
        if (!this.bucketChecked) await this.checkBucket();
        return null;
      }
      throw this.wrap(err, key);
    }
  }

  private bucketChecked = false;
  private async checkBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      this.bucketChecked = true;
    } catch (err: any) {
      if (err?.$metadata?.httpStatusCode === 404) throw this.wrap({ ...err, name: 'NoSuchBucket' }, this.bucket);
      throw this.wrap(err, this.bucket);
    }
  }

  async get(key: string, opts: GetOptions = {}): Promise<Readable> {
    const r = opts.range;
    try {
      const out = await this.client.send(new GetObjectCommand({
        Bucket: this.bucket, Key: this.key(key),
        Range: r ? `bytes=${r.start}-${r.end ?? ''}` : undefined,
      }), { abortSignal: opts.signal as any });
      return out.Body as Readable;
    } catch (err: any) {
      if (err?.name === 'NoSuchKey') throw new StorageError('object-missing', `${key} not found on remote '${this.url}'`, { cause: err });
      throw this.wrap(err, key);
    }
  }

  async put(key: string, src: PutSource, opts: PutOptions = {}): Promise<void> {
    const partSize = Math.max(5 << 20, opts.partSize ?? 16 << 20);
    try {
      if ('data' in src) {
        await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key(key), Body: src.data, ContentLength: src.data.byteLength, StorageClass: this.storageClass }), { abortSignal: opts.signal as any });
        opts.onBytes?.(src.data.byteLength);
        return;
      }
      if (src.size <= partSize) {
        await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key(key), Body: createReadStream(src.path), ContentLength: src.size, StorageClass: this.storageClass }), { abortSignal: opts.signal as any });
        opts.onBytes?.(src.size);
        return;
      }
      const up = new Upload({
        client: this.client,
        params: { Bucket: this.bucket, Key: this.key(key), Body: createReadStream(src.path, { highWaterMark: 1 << 20 }), StorageClass: this.storageClass },
        queueSize: Math.max(1, opts.concurrency ?? 4),
        partSize,
        leavePartsOnError: false,
        abortController: undefined,
      });
      let last = 0;
      up.on('httpUploadProgress', (p) => { const n = p.loaded ?? 0; if (n > last) { opts.onBytes?.(n - last); last = n; } });
      const onAbort = () => { void up.abort(); };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      try { await up.done(); } finally { opts.signal?.removeEventListener('abort', onAbort); }
      if (last < src.size) opts.onBytes?.(src.size - last);
    } catch (err) {
      throw this.wrap(err, key);
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    for await (const it of this.listDetailed(prefix)) yield it.key;
  }

  async *listDetailed(prefix: string): AsyncIterable<{ key: string; size: number }> {
    const full = this.key(prefix);
    const strip = this.prefix ? this.prefix.length + 1 : 0;
    let token: string | undefined;
    do {
      let r;
      try {
        r = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: full, ContinuationToken: token, MaxKeys: 1000 }));
      } catch (err) { throw this.wrap(err, `listing of ${prefix || '/'}`); }
      for (const c of r.Contents ?? []) if (c.Key) yield { key: c.Key.slice(strip), size: Number(c.Size ?? 0) };
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  }

  async delete(key: string): Promise<void> {
    try { await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(key) })); } catch (err: any) {
      if (err?.$metadata?.httpStatusCode === 404 && err?.name !== 'NoSuchBucket') return;
      throw this.wrap(err, key);
    }
  }

  /**
   * PutBucketLifecycleConfiguration replaces the bucket's whole configuration: read it first and
   * keep every rule but ours (same ID). A server without lifecycle support answers NotImplemented.
   */
  async setLifecycle(rule: LifecycleRule, opts: { dry?: boolean; signal?: AbortSignal } = {}): Promise<LifecycleResult> {
    const prefix = this.key(rule.prefix);
    const ours: S3LifecycleRule = {
      ID: rule.id,
      Status: 'Enabled',
      Filter: { Prefix: prefix },
      Transitions: [{ Days: rule.transitionDays, StorageClass: rule.storageClass as any }],
      ...(rule.expireNoncurrentDays ? { NoncurrentVersionExpiration: { NoncurrentDays: rule.expireNoncurrentDays } } : {}),
    };
    if (opts.dry) return { applied: false, bucket: this.bucket, prefix, document: { Rules: [ours] } };
    let existing: S3LifecycleRule[] = [];
    try {
      const r = await this.client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: this.bucket }), { abortSignal: opts.signal as any });
      existing = r.Rules ?? [];
    } catch (err: any) {
      if (err?.name !== 'NoSuchLifecycleConfiguration') throw this.lifecycleError(err);
    }
    const kept = existing.filter((r) => r.ID !== rule.id);
    const document = { Rules: [...kept, ours] };
    try {
      await this.client.send(new PutBucketLifecycleConfigurationCommand({ Bucket: this.bucket, LifecycleConfiguration: document }), { abortSignal: opts.signal as any });
    } catch (err) { throw this.lifecycleError(err); }
    return { applied: true, bucket: this.bucket, prefix, document, keptRules: kept.length };
  }

  private lifecycleError(err: any): Error {
    const name: string = err?.name ?? err?.Code ?? '';
    // Swift's s3api has no lifecycle controller: the PUT reaches its create-bucket handler, which
    // rejects the LifecycleConfiguration body as MalformedXML.
    if (name === 'NotImplemented' || name === 'MalformedXML' || err?.$metadata?.httpStatusCode === 501) {
      return new StorageError('remote-error', `the S3 server of remote '${this.url}' does not implement bucket lifecycle configuration (${name || 501})`, {
        cause: err, hint: 'lifecycle rules need AWS S3 or a server that implements them (MinIO, Ceph RGW); `--dry` prints the rule to apply elsewhere',
      });
    }
    return this.wrap(err, `the lifecycle configuration of bucket '${this.bucket}'`);
  }

  async close(): Promise<void> { this.client.destroy(); }
}
void Readable;
