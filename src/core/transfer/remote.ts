/**
 * Opens the Backend of a configured remote (`getRemote` of the config engineer) with its transfer
 * settings, and the `core.fallback_remotes` list used when an object is missing or corrupt.
 */
import { openBackend } from '../../storage/registry.js';
import type { Backend } from '../../storage/backend.js';
import { getRemote, configBool } from '../repo/config.js';
import type { Repo } from '../repo/repo.js';
import { ConfigError } from '../../lib/errors.js';
import { DEFAULT_CHUNK_THRESHOLD, geodvcRemoteOptions } from '../chunk/settings.js';
import { parseByteSize } from '../repo/remote-options.js';

export interface RemoteHandle {
  name: string;
  url: string;
  backend: Backend;
  /** Objects in flight (`-j` > remote `jobs` > default). */
  jobs: number;
  /** Parallel parts of one big upload / download. */
  uploadConcurrency: number;
  downloadConcurrency: number;
  /** Part size for multipart uploads and ranged downloads (bytes). */
  partSize: number;
  readOnly: boolean;
  /** geodvc-only (`.dvc/geodvc.json`): how big files are stored on this remote (docs/chunking.md). */
  chunking?: 'off' | 'tiles' | 'cdc';
  /** Chunked remotes: also upload whole objects so DVC can read the remote. */
  dvcCompatible?: boolean;
  /** Files from this size on are chunked (smaller ones go whole). */
  chunkThreshold?: number;
}

export interface OpenRemoteOptions {
  jobs?: number;
  /** Override the retry count (tests use small numbers). */
  retries?: number;
  retryBaseDelayMs?: number;
}

const int = (v: string | undefined): number | undefined => (v !== undefined && /^\d+$/.test(v) && Number(v) > 0 ? Number(v) : undefined);

export const DEFAULT_JOBS = 16;
export const DEFAULT_PART_SIZE = 16 << 20;
export { DEFAULT_CHUNK_THRESHOLD };

export async function openRemote(repo: Repo, name: string | undefined, o: OpenRemoteOptions = {}): Promise<RemoteHandle> {
  const rc = getRemote(repo, name);
  const opts: Record<string, string> = { ...rc.options };
  if (o.retries !== undefined) opts.retries = String(o.retries);
  const backend = await openBackend(rc.url, opts, { baseDir: repo.root, retry: o.retryBaseDelayMs !== undefined ? { baseDelayMs: o.retryBaseDelayMs } : undefined });
  const jobs = o.jobs ?? int(opts.jobs) ?? DEFAULT_JOBS;
  const g = geodvcRemoteOptions(repo.root, rc.name);
  return {
    name: rc.name,
    url: rc.url,
    backend,
    jobs,
    uploadConcurrency: int(opts.upload_concurrency) ?? 4,
    downloadConcurrency: int(opts.download_concurrency) ?? 4,
    partSize: Math.max(5 << 20, int(opts.part_size) ?? DEFAULT_PART_SIZE),
    readOnly: configBool(opts.read_only),
    chunking: (g.chunking as RemoteHandle['chunking'] | undefined) ?? 'off',
    dvcCompatible: configBool(g.dvc_compatible),
    chunkThreshold: (g.chunk_threshold !== undefined ? parseByteSize(g.chunk_threshold) : undefined) ?? DEFAULT_CHUNK_THRESHOLD,
  };
}

/** Names in `core.fallback_remotes` (comma-separated, configobj list). */
export function fallbackRemoteNames(repo: Repo): string[] {
  const v = repo.config.core?.fallback_remotes;
  if (!v) return [];
  return v.split(',').map((s) => s.trim().replace(/^["']|["']$/g, '')).filter(Boolean);
}

/** The remote to use plus the fallbacks (deduplicated, in order). */
export async function openRemotesWithFallbacks(repo: Repo, name: string | undefined, o: OpenRemoteOptions = {}): Promise<RemoteHandle[]> {
  const first = await openRemote(repo, name, o);
  const out = [first];
  for (const n of fallbackRemoteNames(repo)) {
    if (out.some((r) => r.name === n)) continue;
    try { out.push(await openRemote(repo, n, o)); } catch (err) {
      for (const r of out) await r.backend.close();
      if (err instanceof ConfigError) throw new ConfigError(`core.fallback_remotes names '${n}': ${err.message}`, { hint: err.hint, cause: err });
      throw err;
    }
  }
  return out;
}

export async function closeRemotes(rs: RemoteHandle[]): Promise<void> {
  for (const r of rs) await r.backend.close().catch(() => {});
}
