/**
 * Lazy scheme registry: `openBackend(url, options)` picks the backend by URL scheme and imports its
 * module (and so its SDK) only when that scheme is used. Every backend is wrapped in the retry
 * middleware.
 */
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend } from './backend.js';
import { StorageError } from './errors.js';
import { withRetries, type RetryOptions } from './retry.js';
import { missingDependency } from '../lib/optional-deps.js';
import { lookupScheme, type BackendName } from './schemes.js';

export type RemoteOptions = Record<string, string | number | boolean | undefined>;

export interface OpenOptions {
  /** Directory relative local-path URLs are resolved against (the repo root or the config's dir). */
  baseDir?: string;
  retry?: RetryOptions;
  /** Skip the retry wrapper (tests of the raw backend). */
  raw?: boolean;
}


/** The option keys each scheme understands (besides the common ones). */
export const COMMON_OPTIONS = ['url', 'jobs', 'checksum_jobs', 'upload_concurrency', 'download_concurrency', 'checksum', 'timeout', 'retries', 'read_only', 'verify', 'part_size', 'worktree', 'version_aware'];
export const SCHEME_OPTIONS: Record<string, string[]> = {
  local: [],
  s3: ['credentialpath', 'profile', 'endpointurl', 'region', 'access_key_id', 'secret_access_key', 'session_token', 'request_checksum_calculation', 'use_ssl', 'ssl_verify', 'listobjects', 'acl', 'sse', 'configpath'],
  azure: ['account_name', 'account_key', 'connection_string', 'sas_token', 'endpointurl'],
  gs: ['credentialpath', 'projectname', 'endpointurl'],
  ssh: ['user', 'port', 'keyfile', 'password', 'host_key', 'ask_password', 'allow_agent'],
  http: ['auth', 'user', 'password', 'method', 'custom_auth_header', 'ssl_verify', 'connect_timeout', 'read_timeout'],
  webdav: ['user', 'password', 'token', 'ssl_verify', 'connect_timeout', 'read_timeout'],
};

/** The backend name of a URL: local, s3, azure, gs, ssh, http, webdav. Throws on an unknown scheme. */
export function schemeOf(url: string): BackendName {
  const r = lookupScheme(url);
  if (!r.ok) throw new StorageError('bad-url', r.message, { hint: r.hint });
  return r.backend;
}

/** Throws a clear error for an option the scheme does not know. */
export function checkOptions(scheme: string, options: RemoteOptions): void {
  const known = new Set([...COMMON_OPTIONS, ...(SCHEME_OPTIONS[scheme] ?? [])]);
  for (const k of Object.keys(options)) {
    if (options[k] === undefined) continue;
    if (!known.has(k)) {
      throw new StorageError('bad-option', `unknown option '${k}' for a ${scheme} remote`, { hint: `known options: ${[...known].sort().join(', ')}` });
    }
  }
}

/**
 * Imports a backend module. The cloud SDKs are optional peer dependencies (like DVC's extras):
 * when the scheme's SDK is not installed, the error names the packages to install.
 */
async function loadBackend<T>(scheme: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    throw missingDependency(err, scheme) ?? err;
  }
}

export async function openBackend(url: string, options: RemoteOptions = {}, o: OpenOptions = {}): Promise<Backend> {
  // Option names are validated when written (`remote add/modify`, core/repo/remote-options.ts);
  // here unknown ones are ignored so a DVC config with options we do not use still opens.
  const scheme = schemeOf(url);
  let b: Backend;
  switch (scheme) {
    case 'local': {
      let p = url.startsWith('file://') ? fileURLToPath(url) : url;
      if (!isAbsolute(p)) p = resolve(o.baseDir ?? process.cwd(), p);
      const { LocalBackend } = await import('./backends/local.js');
      b = new LocalBackend(p);
      break;
    }
    case 's3': { const m = await loadBackend('s3', () => import('./backends/s3.js')); b = await m.openS3(url, options); break; }
    case 'azure': { const m = await loadBackend('azure', () => import('./backends/azure.js')); b = await m.openAzure(url, options); break; }
    case 'gs': { const m = await loadBackend('gs', () => import('./backends/gcs.js')); b = await m.openGcs(url, options); break; }
    case 'ssh': { const m = await loadBackend('ssh', () => import('./backends/ssh.js')); b = await m.openSsh(url, options); break; }
    case 'http': { const m = await import('./backends/http.js'); b = await m.openHttp(url, options); break; }
    case 'webdav': { const m = await import('./backends/webdav.js'); b = await m.openWebdav(url, options); break; }
    default: throw new StorageError('bad-url', `unsupported remote URL '${url}'`);
  }
  if (o.raw) return b;
  const retries = options.retries !== undefined ? Number(options.retries) : undefined;
  return withRetries(b, { retries, ...o.retry });
}
