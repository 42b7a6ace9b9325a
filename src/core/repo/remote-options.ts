/**
 * Which remote URL schemes exist and which options each accepts, with value checks. Used by
 * `remote add/modify` and `config remote.NAME.KEY` so a typo is caught when it is written, not
 * when a push fails an hour later.
 */
import { ConfigError } from '../../lib/errors.js';
import { lookupScheme, REMOTE_SCHEMES, type RemoteScheme } from '../../storage/schemes.js';

export type { RemoteScheme } from '../../storage/schemes.js';

/** The scheme names whose options are validated (the same table `openBackend` uses). */
export const SCHEMES: readonly RemoteScheme[] = REMOTE_SCHEMES;

/** The scheme of a remote URL: `s3://b/p` -> s3, `/srv/x`, `../x`, `file:///x` -> local. */
export function remoteScheme(url: string): RemoteScheme {
  const r = lookupScheme(url);
  if (!r.ok) throw new ConfigError(r.message, { hint: r.hint });
  return r.scheme;
}

type Kind = 'str' | 'bool' | 'int' | 'num' | 'checksum' | 'bool_or_str' | 's3_class' | 'gs_class' | 'azure_tier';

/** Storage classes / access tiers an upload can ask for (`storage_class` on s3/gs, `tier` on azure). */
export const STORAGE_CLASSES = {
  s3: ['STANDARD', 'REDUCED_REDUNDANCY', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER', 'GLACIER_IR', 'DEEP_ARCHIVE', 'OUTPOSTS', 'EXPRESS_ONEZONE'],
  gs: ['STANDARD', 'NEARLINE', 'COLDLINE', 'ARCHIVE'],
  azure: ['Hot', 'Cool', 'Cold', 'Archive'],
} as const;

/** The option naming the storage class of uploads, per scheme (undefined: the scheme has none). */
export function storageClassOption(scheme: RemoteScheme): 'storage_class' | 'tier' | undefined {
  return scheme === 's3' || scheme === 'gs' ? 'storage_class' : scheme === 'azure' ? 'tier' : undefined;
}

/** The canonical spelling of a storage class for `scheme` (case-insensitive match), or undefined. */
export function normalizeStorageClass(scheme: 's3' | 'gs' | 'azure', value: string): string | undefined {
  const v = value.trim().toLowerCase().replace(/-/g, '_');
  return (STORAGE_CLASSES[scheme] as readonly string[]).find((c) => c.toLowerCase() === v);
}

const COMMON: Record<string, Kind> = {
  url: 'str', jobs: 'int', checksum_jobs: 'int', verify: 'bool', worktree: 'bool', version_aware: 'bool',
  checksum: 'checksum', timeout: 'num', retries: 'int', read_only: 'bool',
  upload_concurrency: 'int', download_concurrency: 'int', part_size: 'int', multipart_threshold: 'int',
};

const PER_SCHEME: Record<RemoteScheme, Record<string, Kind>> = {
  local: {},
  s3: {
    region: 'str', profile: 'str', credentialpath: 'str', configpath: 'str', endpointurl: 'str',
    access_key_id: 'str', secret_access_key: 'str', session_token: 'str', use_ssl: 'bool', ssl_verify: 'bool_or_str',
    listobjects: 'bool', sse: 'str', sse_kms_key_id: 'str', sse_customer_algorithm: 'str', sse_customer_key: 'str',
    acl: 'str', grant_read: 'str', grant_read_acp: 'str', grant_write_acp: 'str', grant_full_control: 'str',
    cache_regions: 'bool', read_timeout: 'num', connect_timeout: 'num', allow_anonymous_login: 'bool',
    force_path_style: 'bool', request_checksum_calculation: 'str', response_checksum_validation: 'str',
    storage_class: 's3_class',
  },
  azure: {
    connection_string: 'str', account_name: 'str', account_key: 'str', sas_token: 'str', tenant_id: 'str',
    client_id: 'str', client_secret: 'str', allow_anonymous_login: 'bool', exclude_environment_credential: 'bool',
    exclude_visual_studio_code_credential: 'bool', exclude_shared_token_cache_credential: 'bool',
    exclude_managed_identity_credential: 'bool', endpointurl: 'str', credentialpath: 'str',
    tier: 'azure_tier',
  },
  gs: { projectname: 'str', credentialpath: 'str', endpointurl: 'str', allow_anonymous_login: 'bool', token: 'str', storage_class: 'gs_class' },
  ssh: {
    port: 'int', user: 'str', password: 'str', ask_password: 'bool', keyfile: 'str', passphrase: 'str',
    ask_passphrase: 'bool', gss_auth: 'bool', allow_agent: 'bool', max_sessions: 'int', host_key: 'str',
  },
  http: {
    auth: 'str', custom_auth_header: 'str', user: 'str', password: 'str', ask_password: 'bool', token: 'str',
    ssl_verify: 'bool_or_str', method: 'str', connect_timeout: 'num', read_timeout: 'num',
  },
  https: {},
  webdav: {
    user: 'str', password: 'str', ask_password: 'bool', token: 'str', custom_auth_header: 'str',
    cert_path: 'str', key_path: 'str', ssl_verify: 'bool_or_str', connect_timeout: 'num', read_timeout: 'num',
  },
  webdavs: {},
};
PER_SCHEME.https = PER_SCHEME.http;
PER_SCHEME.webdavs = PER_SCHEME.webdav;

/**
 * geodvc-only remote options: DVC 3 refuses unknown options in .dvc/config, so `remote modify`
 * writes these to `.dvc/geodvc.json` (src/core/chunk/settings.ts) and DVC never sees them.
 * Value: the accepted values, or 'bool' / 'size'.
 */
export const GEODVC_REMOTE_OPTIONS: Record<string, readonly string[] | 'bool' | 'size'> = {
  chunking: ['off', 'tiles', 'cdc'],
  dvc_compatible: 'bool',
  chunk_threshold: 'size',
};

export function isGeodvcRemoteOption(key: string): boolean { return key.toLowerCase() in GEODVC_REMOTE_OPTIONS; }

/** Parses `8M`, `512K`, `1G` or a byte count; undefined when invalid. */
export function parseByteSize(v: string): number | undefined {
  const m = /^(\d+)\s*([kmg]i?b?|b)?$/i.exec(v.trim());
  if (!m) return undefined;
  const unit = (m[2] ?? '').toLowerCase()[0];
  const n = Number(m[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1 << 20 : unit === 'g' ? 1 << 30 : 1);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

export function validateGeodvcRemoteOption(key: string, value: string): void {
  const k = key.toLowerCase();
  const kind = GEODVC_REMOTE_OPTIONS[k];
  if (!kind) throw new ConfigError(`'${key}' is not a geodvc remote option`, { hint: `geodvc options: ${Object.keys(GEODVC_REMOTE_OPTIONS).join(', ')}` });
  if (kind === 'bool') {
    if (!/^(true|false|1|0|yes|no|on|off)$/i.test(value)) throw new ConfigError(`invalid value '${value}' for '${key}': expected true or false`, { hint: `e.g. \`remote modify NAME ${key} true\`` });
  } else if (kind === 'size') {
    if (parseByteSize(value) === undefined) throw new ConfigError(`invalid value '${value}' for '${key}': expected a size`, { hint: `e.g. \`remote modify NAME ${key} 8M\`` });
  } else if (!kind.includes(value.toLowerCase())) {
    throw new ConfigError(`invalid value '${value}' for '${key}': expected one of ${kind.join(', ')}`, { hint: `e.g. \`remote modify NAME ${key} ${kind[1] ?? kind[0]}\`` });
  }
}

/** Options that hold credentials: never printed, and refused in the committed `.dvc/config`. */
export const SECRET_OPTIONS = new Set([
  'access_key_id', 'secret_access_key', 'session_token', 'sse_customer_key', 'account_key', 'sas_token',
  'connection_string', 'client_secret', 'password', 'passphrase', 'token', 'custom_auth_header',
]);

export function isSecretOption(key: string): boolean { return SECRET_OPTIONS.has(key.toLowerCase()); }

/** Options a scheme accepts, sorted. */
export function remoteOptionNames(scheme: RemoteScheme): string[] {
  return [...new Set([...Object.keys(COMMON), ...Object.keys(PER_SCHEME[scheme])])].sort();
}

const CHECKSUMS = ['md5', 'xxhash', 'xxh128', 'sha256'];

/**
 * Checks one option of a remote of `scheme`; throws ConfigError listing the valid names or the
 * valid values. `level` is where it is going to be written: secrets are refused at `repo`.
 */
export function validateRemoteOption(scheme: RemoteScheme, key: string, value: string | undefined, level?: string): void {
  const k = key.toLowerCase();
  const kind = COMMON[k] ?? PER_SCHEME[scheme][k];
  if (!kind) {
    if (k === 'storage_class' || k === 'tier') {
      const own = storageClassOption(scheme);
      throw new ConfigError(`a ${scheme} remote has no storage classes: '${key}' is not an option of it`, {
        hint: own ? `a ${scheme} remote names its tier with \`${own}\`` : '`storage_class` applies to s3:// and gs:// remotes, `tier` to azure:// remotes',
      });
    }
    throw new ConfigError(`unknown option '${key}' for a ${scheme} remote`, {
      hint: `valid options: ${remoteOptionNames(scheme).join(', ')}`,
    });
  }
  if (level === 'repo' && isSecretOption(k)) {
    throw new ConfigError(`'${key}' is a credential and would be committed to git in .dvc/config`, {
      hint: 'store it in .dvc/config.local with `--local` (or in --global config)',
    });
  }
  if (value === undefined) return;
  const bad = (what: string) => new ConfigError(`invalid value '${value}' for '${key}': expected ${what}`, { hint: `for example \`${key} ${exampleFor(kind)}\`` });
  switch (kind) {
    case 'bool':
      if (!/^(true|false|1|0|yes|no|on|off)$/i.test(value)) throw bad('true or false');
      break;
    case 'int':
      if (!/^\d+$/.test(value) || Number(value) < 1) throw bad('a positive integer');
      break;
    case 'num':
      if (!/^\d+(\.\d+)?$/.test(value)) throw bad('a number of seconds');
      break;
    case 'checksum':
      if (!CHECKSUMS.includes(value.toLowerCase())) throw bad(`one of ${CHECKSUMS.join(', ')}`);
      break;
    case 'str':
      if (k === 'url') remoteScheme(value);
      break;
    case 's3_class': case 'gs_class': case 'azure_tier': {
      const sch = kind === 's3_class' ? 's3' : kind === 'gs_class' ? 'gs' : 'azure';
      if (!normalizeStorageClass(sch, value)) throw bad(`one of ${STORAGE_CLASSES[sch].join(', ')}`);
      break;
    }
    default:
      break;
  }
}

function exampleFor(kind: Kind): string {
  switch (kind) {
    case 'bool': return 'true';
    case 'int': return '10';
    case 'num': return '60';
    case 'checksum': return 'xxhash';
    case 's3_class': return 'STANDARD_IA';
    case 'gs_class': return 'NEARLINE';
    case 'azure_tier': return 'Cool';
    default: return 'VALUE';
  }
}

/** Replaces secret values by `***` for display. */
export function maskSecret(key: string, value: string): string {
  return isSecretOption(key) && value !== '' ? '***' : value;
}

/** Keys of the non-remote sections we know (DVC's config schema), for `config` validation. */
export const KNOWN_SECTION_KEYS: Record<string, string[] | null> = {
  core: ['remote', 'checksum_jobs', 'interactive', 'analytics', 'hardlink_lock', 'no_scm', 'autostage', 'check_update', 'site_cache_dir', 'checksum', 'fallback_remotes'],
  cache: ['dir', 'type', 'shared', 'slow_link_warning', 'verify', 'protected', 'local', 's3', 'gs', 'ssh', 'hdfs', 'azure'],
  state: ['dir', 'row_limit', 'row_cleanup_quota'],
  index: ['dir'],
  exp: ['code', 'data', 'models', 'metrics', 'params', 'plots', 'live', 'auto_push', 'git_remote'],
  parsing: ['bool', 'list'],
  plots: ['html_template', 'out_dir', 'auto_open'],
  studio: ['token', 'url', 'repo_url', 'offline'],
  feature: null,
  hydra: ['enabled', 'config_dir', 'config_name', 'plugins_path'],
  geo: null,
};

/** Validates a non-remote `section.key` name; throws with the known keys. */
export function validateConfigName(section: string, key: string): void {
  if (/^(machine|db) "/.test(section)) return;
  if (!(section in KNOWN_SECTION_KEYS)) {
    throw new ConfigError(`unknown config section '${section}'`, { hint: `known sections: ${[...Object.keys(KNOWN_SECTION_KEYS), 'remote.NAME'].join(', ')}` });
  }
  const keys = KNOWN_SECTION_KEYS[section];
  if (keys && !keys.includes(key)) {
    throw new ConfigError(`unknown option '${section}.${key}'`, { hint: `options of [${section}]: ${keys.join(', ')}` });
  }
  if (section === 'cache' && key === 'type') return; // value checked by validateConfigValue
}

/** Checks values of well-known non-remote options. */
export function validateConfigValue(section: string, key: string, value: string): void {
  if (section === 'cache' && key === 'type') {
    const parts = value.split(',').map((s) => s.trim());
    const okTypes = ['reflink', 'hardlink', 'symlink', 'copy'];
    if (!parts.length || parts.some((p) => !okTypes.includes(p))) {
      throw new ConfigError(`invalid cache.type '${value}'`, { hint: `a comma list of ${okTypes.join(', ')}, e.g. \`geodvc config cache.type reflink,copy\`` });
    }
  }
  if (section === 'core' && key === 'checksum' && !CHECKSUMS.includes(value.toLowerCase())) {
    throw new ConfigError(`invalid core.checksum '${value}'`, { hint: `one of ${CHECKSUMS.join(', ')}` });
  }
  if (section === 'cache' && key === 'shared' && value !== 'group') {
    throw new ConfigError(`invalid cache.shared '${value}'`, { hint: 'the only accepted value is `group`' });
  }
  if (section === 'core' && ['no_scm', 'autostage', 'analytics', 'interactive', 'hardlink_lock', 'check_update'].includes(key) && !/^(true|false|1|0|yes|no|on|off)$/i.test(value)) {
    throw new ConfigError(`invalid value '${value}' for core.${key}: expected true or false`, { hint: `e.g. \`geodvc config core.${key} true\`` });
  }
}
