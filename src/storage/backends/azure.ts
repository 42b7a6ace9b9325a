/**
 * Azure Blob Storage through @azure/storage-blob (the only importer of it). URL
 * `azure://CONTAINER/PREFIX`. Credentials: `connection_string` (or AZURE_STORAGE_CONNECTION_STRING),
 * else `account_name` + `account_key` (or `sas_token`), with `endpointurl` for a non-default
 * endpoint such as azurite. Large blobs upload as parallel blocks (`uploadFile`).
 */
import type { Readable } from 'node:stream';
import { BlobServiceClient, StorageSharedKeyCredential, type ContainerClient } from '@azure/storage-blob';
import type { Backend, GetOptions, LifecycleResult, LifecycleRule, PutOptions, PutSource, StatResult } from '../backend.js';
import { StorageError, fromHttpStatus, isNetworkError, unreachable } from '../errors.js';
import type { RemoteOptions } from '../registry.js';

const str = (v: unknown): string | undefined => (v === undefined || v === null || v === '' ? undefined : String(v));

export async function openAzure(url: string, o: RemoteOptions): Promise<Backend> {
  const m = /^azure:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m || !m[1]) throw new StorageError('bad-url', `bad Azure URL '${url}'`, { hint: 'use azure://CONTAINER/PREFIX' });
  const container = m[1];
  const prefix = m[2]!.replace(/\/+$/, '');
  const retryOptions = { maxTries: 1 };
  let svc: BlobServiceClient;
  const cs = str(o.connection_string) ?? process.env.AZURE_STORAGE_CONNECTION_STRING;
  const account = str(o.account_name) ?? process.env.AZURE_STORAGE_ACCOUNT;
  const key = str(o.account_key) ?? process.env.AZURE_STORAGE_KEY;
  if (cs) {
    try { svc = BlobServiceClient.fromConnectionString(cs, { retryOptions }); } catch (err) {
      throw new StorageError('credentials', `the Azure connection string of remote '${url}' is invalid`, { cause: err, hint: 'set `connection_string` to the value shown in the Azure portal (Access keys)' });
    }
  } else if (account && (key || str(o.sas_token))) {
    const endpoint = str(o.endpointurl) ?? `https://${account}.blob.core.windows.net`;
    if (key) svc = new BlobServiceClient(endpoint, new StorageSharedKeyCredential(account, key), { retryOptions });
    else svc = new BlobServiceClient(`${endpoint}?${String(o.sas_token).replace(/^\?/, '')}`, undefined, { retryOptions });
  } else {
    throw new StorageError('credentials', `no credentials for Azure remote '${url}'`, {
      hint: 'set `connection_string`, or `account_name` with `account_key`/`sas_token` (`geodvc remote modify --local NAME ...`), or AZURE_STORAGE_CONNECTION_STRING',
    });
  }
  const t = str(o.tier)?.toLowerCase();
  const tier = t ? t[0]!.toUpperCase() + t.slice(1) : undefined;
  return new AzureBackend(url, svc.getContainerClient(container), container, prefix, tier);
}

export class AzureBackend implements Backend {
  readonly scheme = 'azure';
  readonly canList = true;
  constructor(readonly url: string, private cc: ContainerClient, private container: string, private prefix: string,
    /** `tier` of the remote (Hot/Cool/Cold/Archive): the access tier set on every upload. */
    readonly tier?: string) {}
  private key(k: string): string { return this.prefix ? `${this.prefix}/${k}` : k; }

  private wrap(err: any, what: string): Error {
    if (err instanceof StorageError) return err;
    const code: string | undefined = err?.code ?? err?.details?.errorCode;
    const status: number | undefined = err?.statusCode;
    if (code === 'ContainerNotFound') {
      return new StorageError('bucket-missing', `container '${this.container}' of remote '${this.url}' does not exist`, { cause: err, hint: 'create the container, or fix the remote URL' });
    }
    if (code === 'BlobNotFound') return new StorageError('object-missing', `${what} not found on remote '${this.url}'`, { cause: err });
    if (status === 403 || code === 'AuthorizationFailure' || code === 'AuthenticationFailed') {
      return new StorageError('access-denied', `access denied to ${what} on remote '${this.url}' (${code ?? status})`, { cause: err, hint: 'check the account key / connection string / SAS token of the remote' });
    }
    if (status) return fromHttpStatus(status, what, this.url, err);
    if (isNetworkError(err) || err?.code === 'REQUEST_SEND_ERROR') return unreachable(this.url, err);
    return new StorageError('remote-error', `Azure error on ${what} at '${this.url}': ${err?.message ?? err}`, { cause: err });
  }

  async stat(key: string): Promise<StatResult | null> {
    try {
      const p = await this.cc.getBlockBlobClient(this.key(key)).getProperties();
      return { size: Number(p.contentLength ?? 0), etag: p.etag };
    } catch (err: any) {
      if (err?.statusCode === 404) {
        if (err?.details?.errorCode === 'ContainerNotFound' || err?.code === 'ContainerNotFound') throw this.wrap({ ...err, code: 'ContainerNotFound' }, key);
        if (!(await this.cc.exists().catch((e) => { throw this.wrap(e, key); }))) throw this.wrap({ code: 'ContainerNotFound' }, key);
        return null;
      }
      throw this.wrap(err, key);
    }
  }

  async get(key: string, opts: GetOptions = {}): Promise<Readable> {
    const r = opts.range;
    try {
      const count = r && r.end !== undefined ? r.end - r.start + 1 : undefined;
      const res = await this.cc.getBlockBlobClient(this.key(key)).download(r?.start ?? 0, count, { abortSignal: opts.signal as any });
      return res.readableStreamBody as Readable;
    } catch (err) { throw this.wrap(err, key); }
  }

  async put(key: string, src: PutSource, opts: PutOptions = {}): Promise<void> {
    const bb = this.cc.getBlockBlobClient(this.key(key));
    try {
      if ('data' in src) {
        await bb.uploadData(src.data, { abortSignal: opts.signal as any, tier: this.tier });
        opts.onBytes?.(src.data.byteLength);
        return;
      }
      let last = 0;
      await bb.uploadFile(src.path, {
        blockSize: Math.max(1 << 20, opts.partSize ?? 8 << 20),
        concurrency: Math.max(1, opts.concurrency ?? 4),
        abortSignal: opts.signal as any,
        tier: this.tier,
        onProgress: (p) => { if (p.loadedBytes > last) { opts.onBytes?.(p.loadedBytes - last); last = p.loadedBytes; } },
      });
      if (last < src.size) opts.onBytes?.(src.size - last);
    } catch (err) { throw this.wrap(err, key); }
  }

  async *list(prefix: string): AsyncIterable<string> {
    const strip = this.prefix ? this.prefix.length + 1 : 0;
    try {
      for await (const page of this.cc.listBlobsFlat({ prefix: this.key(prefix) }).byPage({ maxPageSize: 5000 })) {
        for (const b of page.segment.blobItems) yield b.name.slice(strip);
      }
    } catch (err) { throw this.wrap(err, `listing of ${prefix || '/'}`); }
  }

  async delete(key: string): Promise<void> {
    try { await this.cc.getBlockBlobClient(this.key(key)).deleteIfExists(); } catch (err) { throw this.wrap(err, key); }
  }

  /**
   * Blob lifecycle management policies are set on the storage account through Azure Resource
   * Manager, not the blob data plane this SDK speaks: the policy document is returned to apply with
   * `az storage account management-policy create`.
   */
  async setLifecycle(rule: LifecycleRule, opts: { dry?: boolean } = {}): Promise<LifecycleResult> {
    const prefix = this.key(rule.prefix);
    const action = `tierTo${rule.storageClass[0]!.toUpperCase()}${rule.storageClass.slice(1).toLowerCase()}`;
    const actions: Record<string, unknown> = { baseBlob: { [action]: { daysAfterModificationGreaterThan: rule.transitionDays } } };
    if (rule.expireNoncurrentDays) actions.version = { delete: { daysAfterCreationGreaterThan: rule.expireNoncurrentDays } };
    const document = {
      rules: [{
        enabled: true, name: rule.id, type: 'Lifecycle',
        definition: { actions, filters: { blobTypes: ['blockBlob'], prefixMatch: [`${this.container}/${prefix}`] } },
      }],
    };
    return {
      applied: false, bucket: this.container, prefix, document,
      note: opts.dry ? undefined : 'Azure lifecycle policies are set on the storage account through Azure Resource Manager, not the blob API: save the JSON to policy.json and run `az storage account management-policy create --account-name ACCOUNT --resource-group GROUP --policy @policy.json` (this replaces the account\'s policy: merge existing rules first)',
    };
  }

  async close(): Promise<void> {}
}
