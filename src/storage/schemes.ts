/**
 * The one table of remote URL schemes: which backend opens a URL, and the scheme name under which
 * `remote add/modify` validates its options (http and https, webdav and webdavs take different
 * option sets in DVC's config schema). `openBackend` (registry.ts) and the config checks
 * (core/repo/remote-options.ts) both read it, so a URL accepted when written also opens.
 *
 * Only the schemes DVC 3.x itself accepts are listed (a repository must stay readable by DVC):
 * `az://` and `abfs://` (adlfs spellings) are refused with a hint to write `azure://`.
 */
export type BackendName = 'local' | 's3' | 'azure' | 'gs' | 'ssh' | 'http' | 'webdav';
export type RemoteScheme = 'local' | 's3' | 'azure' | 'gs' | 'ssh' | 'http' | 'https' | 'webdav' | 'webdavs';

/** URL scheme (lower case, without `://`) -> [backend, config scheme]. */
const URL_SCHEMES: Readonly<Record<string, readonly [BackendName, RemoteScheme]>> = {
  file: ['local', 'local'],
  s3: ['s3', 's3'],
  azure: ['azure', 'azure'],
  gs: ['gs', 'gs'],
  gcs: ['gs', 'gs'],
  ssh: ['ssh', 'ssh'],
  sftp: ['ssh', 'ssh'],
  http: ['http', 'http'],
  https: ['http', 'https'],
  webdav: ['webdav', 'webdav'],
  webdavs: ['webdav', 'webdavs'],
};

/** Spellings other tools use, with the one to write instead. */
const MISSPELLED: Readonly<Record<string, string>> = { az: 'azure', abfs: 'azure', abfss: 'azure', adl: 'azure', gcloud: 'gs', scp: 'ssh' };

/** The config scheme names, for option tables and messages. */
export const REMOTE_SCHEMES: readonly RemoteScheme[] = ['local', 's3', 'azure', 'gs', 'ssh', 'http', 'https', 'webdav', 'webdavs'];

/** What to write, for hints. */
export const SCHEMES_HINT = 'a local path or file://, s3://, azure://, gs://, ssh://, http(s):// or webdav(s)://';

export type SchemeLookup =
  | { ok: true; backend: BackendName; scheme: RemoteScheme }
  | { ok: false; message: string; hint: string };

/** Classifies a remote URL: a local path (absolute, relative, `C:\…`), file://, or a known scheme. */
export function lookupScheme(url: string): SchemeLookup {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url);
  if (!m) {
    // scp-like `host:path` is not accepted by DVC either; `C:\x` / `C:/x` are Windows paths
    if (/^[A-Za-z][A-Za-z0-9+.-]*:[^\\/]/.test(url) && !/^[A-Za-z]:/.test(url)) {
      return { ok: false, message: `unsupported remote url '${url}'`, hint: `use ${SCHEMES_HINT}` };
    }
    return { ok: true, backend: 'local', scheme: 'local' };
  }
  const s = m[1]!.toLowerCase();
  const hit = URL_SCHEMES[s];
  if (hit) return { ok: true, backend: hit[0], scheme: hit[1] };
  const instead = MISSPELLED[s];
  return {
    ok: false,
    message: `unsupported remote url scheme '${s}://' in '${url}'`,
    hint: instead ? `write ${instead}://${url.slice(m[0].length)} (the spelling DVC accepts)` : `use ${SCHEMES_HINT}`,
  };
}
