import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir } from '../../../test/helpers/tmp.js';
import { getConfig, getRemote, loadConfig, setConfigValue, unsetConfigValue, toConfigRelPath, parseConfigName } from './config.js';
import { openRepo, findRepoRoot } from './repo.js';
import { validateRemoteOption, remoteScheme } from './remote-options.js';
import { ConfigError, NotARepoError } from '../../lib/errors.js';

async function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const old: Record<string, string | undefined> = {};
  for (const k of Object.keys(env)) { old[k] = process.env[k]; process.env[k] = env[k]; }
  try { return await fn(); } finally { for (const k of Object.keys(env)) { if (old[k] === undefined) delete process.env[k]; else process.env[k] = old[k]; } }
}

test('levels merge later-wins and relative paths resolve against their config file', async () => {
  const t = makeTmpDir();
  try {
    const root = join(t.dir, 'repo');
    const glob = join(t.dir, 'global');
    mkdirSync(join(root, '.dvc'), { recursive: true });
    mkdirSync(glob, { recursive: true });
    writeFileSync(join(glob, 'config'), '[core]\n    remote = g\n    autostage = true\n[cache]\n    dir = gcache\n');
    writeFileSync(join(root, '.dvc', 'config'), `[core]\n    remote = r\n['remote "r"']\n    url = ../../remote-rel\n`);
    writeFileSync(join(root, '.dvc', 'config.local'), `['remote "r"']\n    access_key_id = AK\n`);
    await withEnv({ GEODVC_GLOBAL_CONFIG_DIR: glob, GEODVC_SYSTEM_CONFIG_DIR: join(t.dir, 'sys') }, async () => {
      const repo = await openRepo(join(root));
      assert.equal(repo.config.core!.remote, 'r');
      assert.equal(repo.config.core!.autostage, 'true');
      assert.equal(repo.cacheDir, join(glob, 'gcache'));
      const r = getRemote(repo);
      assert.deepEqual(r, { name: 'r', url: join(t.dir, 'remote-rel'), options: { access_key_id: 'AK' } });
      assert.equal(getConfig(repo, 'remote.r.url'), join(t.dir, 'remote-rel'));
      assert.equal(repo.levels.repo['remote "r"']!.url, '../../remote-rel');
      assert.throws(() => getRemote(repo, 'nope'), (e: unknown) => e instanceof ConfigError && /doesn't exist/.test((e as Error).message) && /known remotes: r/.test((e as ConfigError).hint!));
      setConfigValue(repo, 'repo', 'cache.dir', '../cache-here', { cwd: root });
      assert.equal(readFileSync(join(root, '.dvc', 'config'), 'utf8'), `[core]\n    remote = r\n[cache]\n    dir = ../../cache-here\n['remote "r"']\n    url = ../../remote-rel\n`);
      assert.equal(repo.cacheDir, join(glob, 'gcache')); // cacheDir recomputed by reloadConfig only
      assert.equal(repo.config.cache!.dir, join(t.dir, 'cache-here'));
      assert.equal(unsetConfigValue(repo, 'repo', 'cache.dir'), true);
      assert.equal(unsetConfigValue(repo, 'repo', 'cache.dir'), false);
      assert.equal(loadConfig(root).merged.cache!.dir, join(glob, 'gcache'));
    });
  } finally { t.cleanup(); }
});

test('no default remote gives a ConfigError with a hint', () => {
  assert.throws(() => getRemote({ root: '/x', config: {} }), (e: unknown) => e instanceof ConfigError && /remote add -d/.test((e as ConfigError).hint!));
});

test('findRepoRoot walks up; openRepo outside a repo is NotARepoError', async () => {
  const t = makeTmpDir();
  try {
    mkdirSync(join(t.dir, 'r', '.dvc'), { recursive: true });
    mkdirSync(join(t.dir, 'r', 'a', 'b'), { recursive: true });
    assert.equal(findRepoRoot(join(t.dir, 'r', 'a', 'b')), join(t.dir, 'r'));
    await assert.rejects(openRepo(t.dir), NotARepoError);
  } finally { t.cleanup(); }
});

test('paths are stored relative to the config file, URLs/~/absolute kept', () => {
  assert.equal(toConfigRelPath('/r/.dvc', '../remote-rel', '/r'), '../../remote-rel');
  assert.equal(toConfigRelPath('/r/.dvc', 's3://b/p', '/r'), 's3://b/p');
  assert.equal(toConfigRelPath('/r/.dvc', '~/.aws/credentials', '/r'), '~/.aws/credentials');
  assert.equal(toConfigRelPath('/r/.dvc', '/srv/x', '/r'), '/srv/x');
  assert.deepEqual(parseConfigName('remote.my.remote.url'), { section: 'remote "my.remote"', key: 'url' });
  assert.throws(() => parseConfigName('core'), ConfigError);
});

test('remote options are validated per scheme', () => {
  assert.equal(remoteScheme('s3://b/p'), 's3');
  assert.equal(remoteScheme('/srv/x'), 'local');
  assert.equal(remoteScheme('file:///srv/x'), 'local');
  assert.equal(remoteScheme('webdavs://h/p'), 'webdavs');
  assert.throws(() => remoteScheme('ftp://h/p'), /unsupported remote url scheme 'ftp/);
  validateRemoteOption('s3', 'credentialpath', '~/.aws/credentials', 'repo');
  validateRemoteOption('s3', 'checksum', 'xxhash', 'repo');
  assert.throws(() => validateRemoteOption('s3', 'checksum', 'crc32'), /md5, xxhash, xxh128, sha256/);
  assert.throws(() => validateRemoteOption('s3', 'upload_concurrency', 'many'), /positive integer/);
  assert.throws(() => validateRemoteOption('local', 'region', 'eu'), (e: unknown) => /valid options: .*jobs/.test((e as ConfigError).hint!));
  assert.throws(() => validateRemoteOption('s3', 'secret_access_key', 'x', 'repo'), (e: unknown) => /--local/.test((e as ConfigError).hint!));
  validateRemoteOption('s3', 'secret_access_key', 'x', 'local');
});
