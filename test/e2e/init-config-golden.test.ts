import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeShmTmpDir, gitInit, git } from '../helpers/tmp.js';
import { cliOk, runCli, GOLDENS } from '../helpers/cli.js';

function env(dir: string) {
  return { GEODVC_GLOBAL_CONFIG_DIR: join(dir, '_global'), GEODVC_SYSTEM_CONFIG_DIR: join(dir, '_system') };
}

/** A git repository at `<dir>/repo` (with `extraDir` made inside it) after `geodvc init`. */
async function initedRepo(dir: string, extraDir = ''): Promise<{ repo: string; e: ReturnType<typeof env> }> {
  const repo = join(dir, 'repo');
  mkdirSync(join(repo, extraDir), { recursive: true });
  gitInit(repo);
  const e = env(dir);
  await cliOk(['init'], { cwd: repo, env: e });
  return { repo, e };
}

test('init writes the 01-init golden files byte for byte and git-adds them', async () => {
  const t = makeShmTmpDir();
  try {
    const repo = join(t.dir, 'repo');
    mkdirSync(repo);
    gitInit(repo);
    const r = await cliOk(['init'], { cwd: repo, env: env(t.dir) });
    assert.match(r.stdout, /Initialized DVC repository/);
    for (const f of ['.dvc/config', '.dvc/.gitignore', '.dvcignore']) {
      assert.deepEqual(readFileSync(join(repo, f)), readFileSync(join(GOLDENS, '01-init', f)), f);
    }
    assert.deepEqual(git(repo, 'diff', '--cached', '--name-only').trim().split('\n').sort(), ['.dvc/.gitignore', '.dvc/config', '.dvcignore']);
    const again = await runCli(['init'], { cwd: repo, env: env(t.dir) });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists/);
    assert.match(again.stderr, /--force/);
    await cliOk(['init', '-f'], { cwd: repo, env: env(t.dir) });
  } finally { t.cleanup(); }
});

test('init outside git needs --no-scm; --no-scm writes core.no_scm and no .dvc/.gitignore', async () => {
  const t = makeShmTmpDir();
  try {
    const r = await runCli(['init', '--json'], { cwd: t.dir, env: env(t.dir) });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not tracked by any supported SCM/);
    assert.equal(JSON.parse(r.stdout).error, 'init');
    await cliOk(['init', '--no-scm'], { cwd: t.dir, env: env(t.dir) });
    assert.equal(readFileSync(join(t.dir, '.dvc', 'config'), 'utf8'), '[core]\n    no_scm = True\n');
    assert.equal(existsSync(join(t.dir, '.dvc', '.gitignore')), false);
    const sub = join(t.dir, 'g', 'sub');
    mkdirSync(sub, { recursive: true });
    gitInit(join(t.dir, 'g'));
    assert.equal((await runCli(['init'], { cwd: sub, env: env(t.dir) })).code, 1);
    await cliOk(['init', '--subdir'], { cwd: sub, env: env(t.dir) });
    assert.equal(existsSync(join(sub, '.dvc', 'config')), true);
  } finally { t.cleanup(); }
});

test('the 05-config sequence produces the golden .dvc/config and .dvc/config.local', async () => {
  const t = makeShmTmpDir();
  try {
    const { repo, e } = await initedRepo(t.dir);
    const steps = [
      ['remote', 'add', '-d', 'geospatial-remote', 's3://your-bucket-name/dvc-data'],
      ['remote', 'modify', 'geospatial-remote', 'credentialpath', '~/.aws/credentials'],
      ['remote', 'modify', 'geospatial-remote', 'jobs', '10'],
      ['remote', 'add', 'backup', '/srv/dvc-backup'],
      ['remote', 'modify', '--local', 'geospatial-remote', 'access_key_id', 'AKIAEXAMPLE'],
      ['config', 'cache.type', 'hardlink,symlink'],
      ['config', 'core.autostage', 'true'],
    ];
    for (const s of steps) await cliOk(s, { cwd: repo, env: e });
    assert.equal(readFileSync(join(repo, '.dvc', 'config'), 'utf8'), readFileSync(join(GOLDENS, '05-config', '.dvc', 'config'), 'utf8'));
    assert.equal(readFileSync(join(repo, '.dvc', 'config.local'), 'utf8'), readFileSync(join(GOLDENS, '05-config', '.dvc', 'config.local'), 'utf8'));

    // get, list, show-origin, secrets masked
    assert.equal((await cliOk(['config', 'core.remote'], { cwd: repo, env: e })).stdout, 'geospatial-remote\n');
    const list = (await cliOk(['config', '-l'], { cwd: repo, env: e })).stdout;
    assert.match(list, /^remote\.geospatial-remote\.url=s3:\/\/your-bucket-name\/dvc-data$/m);
    assert.match(list, /^remote\.geospatial-remote\.access_key_id=\*\*\*$/m);
    assert.doesNotMatch(list, /AKIAEXAMPLE/);
    const origin = (await cliOk(['config', '-l', '--show-origin'], { cwd: repo, env: e })).stdout;
    assert.match(origin, /^\.dvc\/config\tcache\.type=hardlink,symlink$/m);
    assert.match(origin, /^\.dvc\/config\.local\tremote\.geospatial-remote\.access_key_id=\*\*\*$/m);
    const rl = await cliOk(['remote', 'list'], { cwd: repo, env: e });
    assert.equal(rl.stdout, 'geospatial-remote       s3://your-bucket-name/dvc-data  (default)\nbackup  /srv/dvc-backup\n');
    const rj = JSON.parse((await cliOk(['remote', 'list', '--json'], { cwd: repo, env: e })).stdout);
    assert.equal(rj[0].options.access_key_id, '***');
    assert.equal(rj[0].options.jobs, '10');
    assert.doesNotMatch(JSON.stringify(rj), /AKIAEXAMPLE/);
  } finally { t.cleanup(); }
});

test('the seed sequence: checksum xxhash, concurrency options; bad input gets errors with hints', async () => {
  const t = makeShmTmpDir();
  try {
    const { repo, e } = await initedRepo(t.dir);
    await cliOk(['remote', 'add', '-d', 'geospatial-remote', 's3://BUCKET/dvc-data'], { cwd: repo, env: e });
    for (const [k, v] of [['credentialpath', '~/.aws/credentials'], ['upload_concurrency', '10'], ['download_concurrency', '10'], ['checksum', 'xxhash']]) {
      await cliOk(['remote', 'modify', 'geospatial-remote', k!, v!], { cwd: repo, env: e });
    }
    assert.equal(readFileSync(join(repo, '.dvc', 'config'), 'utf8'),
      `[core]\n    remote = geospatial-remote\n['remote "geospatial-remote"']\n    url = s3://BUCKET/dvc-data\n    credentialpath = ~/.aws/credentials\n    upload_concurrency = 10\n    download_concurrency = 10\n    checksum = xxhash\n`);
    const before = readFileSync(join(repo, '.dvc', 'config'), 'utf8');
    const cases: [string[], number, RegExp][] = [
      [['remote', 'modify', 'geospatial-remote', 'regoin', 'eu'], 251, /unknown option 'regoin'[\s\S]*valid options: .*region/],
      [['remote', 'modify', 'geospatial-remote', 'checksum', 'crc'], 251, /md5, xxhash, xxh128, sha256/],
      [['remote', 'modify', 'geospatial-remote', 'secret_access_key', 'S'], 251, /--local/],
      [['remote', 'modify', 'nope', 'jobs', '2'], 251, /remote 'nope' doesn't exist/],
      [['remote', 'add', 'x', 'ftp://host/p'], 251, /unsupported remote url scheme 'ftp/],
      [['remote', 'add', 'geospatial-remote', '/tmp/x'], 251, /already exists[\s\S]*--force/],
      [['config', 'core.nosuch', '1'], 251, /unknown option 'core.nosuch'/],
      [['config', 'cache.type', 'teleport'], 251, /invalid cache.type/],
      [['config', 'core.remote', 'ghost'], 251, /remote 'ghost' doesn't exist/],
      [['config', 'core.checksum_jobs'], 251, /doesn't exist/],
      [['config'], 254, /option name is required/],
    ];
    for (const [args, code, re] of cases) {
      const r = await runCli(args, { cwd: repo, env: e });
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
      assert.match(r.stderr, /hint:/, args.join(' '));
    }
    assert.equal(readFileSync(join(repo, '.dvc', 'config'), 'utf8'), before);
    const outside = await runCli(['remote', 'list'], { cwd: t.dir, env: e });
    assert.equal(outside.code, 253);
  } finally { t.cleanup(); }
});

test('remote rename/default/remove, relative local urls, --global, cache dir', async () => {
  const t = makeShmTmpDir();
  try {
    const { repo, e } = await initedRepo(t.dir, 'sub');
    await cliOk(['remote', 'add', '-d', 'rel', '../remote-rel'], { cwd: repo, env: e });
    await cliOk(['remote', 'modify', 'rel', 'jobs', '4'], { cwd: repo, env: e });
    await cliOk(['remote', 'add', 'other', 'file:///srv/x'], { cwd: join(repo, 'sub'), env: e });
    await cliOk(['remote', 'add', 'fromsub', '../../elsewhere'], { cwd: join(repo, 'sub'), env: e });
    let text = readFileSync(join(repo, '.dvc', 'config'), 'utf8');
    assert.match(text, /\['remote "rel"'\]\n    url = \.\.\/\.\.\/remote-rel\n    jobs = 4\n/);
    assert.match(text, /\['remote "fromsub"'\]\n    url = \.\.\/\.\.\/elsewhere\n/);
    assert.equal((await cliOk(['remote', 'default'], { cwd: repo, env: e })).stdout, 'rel\n');
    await cliOk(['remote', 'rename', 'rel', 'main'], { cwd: repo, env: e });
    text = readFileSync(join(repo, '.dvc', 'config'), 'utf8');
    assert.match(text, /^\[core\]\n    remote = main\n\['remote "main"'\]\n    url = \.\.\/\.\.\/remote-rel\n/);
    const rl = (await cliOk(['remote', 'list'], { cwd: repo, env: e })).stdout;
    assert.match(rl, new RegExp(`^main +${join(t.dir, 'remote-rel').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} +\\(default\\)$`, 'm'));
    await cliOk(['remote', 'default', 'other'], { cwd: repo, env: e });
    await cliOk(['remote', 'remove', 'other'], { cwd: repo, env: e });
    text = readFileSync(join(repo, '.dvc', 'config'), 'utf8');
    assert.doesNotMatch(text, /other|\[core\]/);
    await cliOk(['remote', 'default', 'main'], { cwd: repo, env: e });
    await cliOk(['remote', 'default', '--unset'], { cwd: repo, env: e });
    assert.equal((await runCli(['remote', 'default'], { cwd: repo, env: e })).code, 251);
    await cliOk(['remote', 'modify', 'main', 'jobs', '--unset'], { cwd: repo, env: e });
    assert.doesNotMatch(readFileSync(join(repo, '.dvc', 'config'), 'utf8'), /jobs/);

    await cliOk(['config', '--global', 'core.analytics', 'false'], { cwd: t.dir, env: e });
    assert.equal(readFileSync(join(t.dir, '_global', 'config'), 'utf8'), '[core]\n    analytics = false\n');
    assert.equal((await cliOk(['config', 'core.analytics', '--show-origin'], { cwd: repo, env: e })).stdout, `${join('..', '_global', 'config')}\tfalse\n`);

    assert.equal((await cliOk(['cache', 'dir'], { cwd: repo, env: e })).stdout, `${join(repo, '.dvc', 'cache')}\n`);
    await cliOk(['cache', 'dir', '../shared-cache'], { cwd: repo, env: e });
    assert.match(readFileSync(join(repo, '.dvc', 'config'), 'utf8'), /\[cache\]\n    dir = \.\.\/\.\.\/shared-cache\n/);
    assert.equal((await cliOk(['cache', 'dir'], { cwd: join(repo, 'sub'), env: e })).stdout, `${join(t.dir, 'shared-cache')}\n`);
    await cliOk(['cache', 'dir', '--unset'], { cwd: repo, env: e });
    await cliOk(['config', '--unset', 'core.analytics', '--global'], { cwd: repo, env: e });
    assert.equal(readFileSync(join(t.dir, '_global', 'config'), 'utf8'), '');
  } finally { t.cleanup(); }
});
