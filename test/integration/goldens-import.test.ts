/**
 * DVC 3.64 goldens 09-import and 10-import-url (test/fixtures/dvc-goldens): the same inputs, made
 * with the same commit author and dates so the source's commits (`rev_lock`) are DVC's, then
 * geodvc's `import`, `update`, `get`, `ls`, `status`, `import-url`: the `.dvc` files and
 * `.gitignore` byte-identical, the JSON answers equal as values, exit codes as in rc.txt, the
 * imported files' sha256 equal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, rmSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { execFileSync } from 'node:child_process';
import { makeShmTmpDir, writeTree, gitInit, git } from '../helpers/tmp.js';
import { REPO_ROOT, cliOk, runCli } from '../helpers/cli.js';
import { initRepo } from '../../src/core/repo/init.js';
import { add } from '../../src/core/api/add.js';
import { push } from '../../src/core/api/push.js';
import { get } from '../../src/core/api/get.js';
import { pull } from '../../src/core/api/pull.js';
import { addRemote } from '../../src/core/repo/remotes.js';
import { importData } from '../../src/core/api/import.js';
import { update } from '../../src/core/api/update.js';
import { getUrl } from '../../src/core/api/import-url.js';
import { lsUrl } from '../../src/core/api/ls-url.js';
import { ls } from '../../src/core/api/ls.js';
import type { AppError } from '../../src/lib/errors.js';
import { setMetaExtractor } from '../../src/core/api/meta-hook.js';

// DVC writes no `meta:` for these inputs: keep the geo metadata hook out of the source's commits.
setMetaExtractor(null);

const G = join(REPO_ROOT, 'test', 'fixtures', 'dvc-goldens');
const golden = (p: string) => readFileSync(join(G, p), 'utf8');

function commitAt(dir: string, msg: string, date: string): string {
  const env = { ...process.env, GIT_AUTHOR_NAME: 'g', GIT_AUTHOR_EMAIL: 'g@example.com', GIT_COMMITTER_NAME: 'g', GIT_COMMITTER_EMAIL: 'g@example.com', GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date };
  git(dir, 'add', '-A');
  execFileSync('git', ['-C', dir, 'commit', '-q', '-m', msg], { env });
  return git(dir, 'rev-parse', 'HEAD').trim();
}

/** `find . -type f | sort | xargs sha256sum` of a directory (or one file, named `name`). */
function sha256List(root: string, name?: string): string {
  if (name) return `${createHash('sha256').update(readFileSync(join(root, name))).digest('hex')}  ${name}\n`;
  const files: string[] = [];
  const rec = (d: string) => { for (const e of readdirSync(d, { withFileTypes: true })) { const p = join(d, e.name); if (e.isDirectory()) rec(p); else files.push(p); } };
  rec(root);
  return files.map((f) => './' + relative(root, f)).sort().map((f) => `${createHash('sha256').update(readFileSync(join(root, f))).digest('hex')}  ${f}\n`).join('');
}

function rcOf(scenario: string): Map<string, number> {
  return new Map(golden(`${scenario}/rc.txt`).trim().split('\n').map((l) => { const [k, v] = l.split(' '); return [k!, Number(v)]; }));
}

/** The golden `ls` JSON with directory sizes replaced by what this filesystem reports. */
function lsGolden(file: string, base: string): unknown {
  const v = JSON.parse(golden(file)) as Record<string, unknown>[];
  return v.map((e) => (e.isdir && typeof e.size === 'number' ? { ...e, size: statSync(join(base, e.path as string)).size } : e));
}

test('09-import: import, status, update, import --rev, get and ls against DVC 3.64', async () => {
  const { dir: tmp, cleanup } = makeShmTmpDir('geodvc-golden-import-');
  try {
    const src = join(tmp, 'src');
    const repo = join(tmp, 'repo');
    const rc = rcOf('09-import');
    // the source registry, as DVC's script made it (same files, remote, author, dates, message)
    mkdirSync(src);
    gitInit(src);
    initRepo(src);
    writeTree(src, {
      'data/imagery/a.tif': 'a', 'data/imagery/sub/b.tif': 'b',
      'data/labels.geojson': '{"type":"FeatureCollection","features":[]}\n', 'README.md': 'readme\n',
    });
    await add({ cwd: src, targets: ['data/imagery', 'data/labels.geojson'] });
    addRemote('store', '../src-remote', { root: src, cwd: src, default: true });
    await push({ cwd: src });
    const v1 = commitAt(src, 'v1', '2024-01-01T00:00:00Z');
    git(src, 'tag', 'v1');
    assert.equal(v1, golden('09-import/src-rev-v1.txt').trim(), 'the source commit v1 is the one DVC imported from');

    mkdirSync(repo);
    gitInit(repo);
    initRepo(repo);
    await cliOk(['import', '../src', 'data/labels.geojson', '-o', 'labels.geojson'], { cwd: repo });
    await cliOk(['import', '../src', 'data/imagery'], { cwd: repo });
    assert.equal(readFileSync(join(repo, 'labels.geojson.dvc'), 'utf8'), golden('09-import/labels.geojson.dvc'));
    assert.equal(readFileSync(join(repo, 'imagery.dvc'), 'utf8'), golden('09-import/imagery.dvc'));
    assert.equal(readFileSync(join(repo, '.gitignore'), 'utf8'), golden('09-import/.gitignore'));
    assert.equal(sha256List(join(repo, 'imagery')), golden('09-import/imported-imagery.sha256'));
    const clean = await cliOk(['status', '--json'], { cwd: repo });
    assert.deepEqual(JSON.parse(clean.stdout), {}, 'imported outputs are clean right after the import');

    // the source moves on: one feature in the labels (v2, a day later)
    writeFileSync(join(src, 'data/labels.geojson'), '{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null,"properties":{}}]}\n');
    await add({ cwd: src, targets: ['data/labels.geojson'] });
    await push({ cwd: src });
    const v2 = commitAt(src, 'v2', '2024-01-02T00:00:00Z');
    assert.equal(v2, golden('09-import/src-rev-v2.txt').trim());

    const st = await runCli(['status', '--json'], { cwd: repo });
    assert.equal(st.code, rc.get('status-before-update.json'));
    assert.deepEqual(JSON.parse(st.stdout), JSON.parse(golden('09-import/status-before-update.json')));

    await cliOk(['update', 'labels.geojson.dvc'], { cwd: repo });
    assert.equal(readFileSync(join(repo, 'labels.geojson.dvc'), 'utf8'), golden('09-import/labels.geojson.updated.dvc'));
    assert.equal(sha256List(repo, 'labels.geojson').split('  ')[0], golden('09-import/get-labels.sha256').split('  ')[0], 'the updated labels are v2');

    await cliOk(['import', '--rev', 'v1', '../src', 'data/labels.geojson', '-o', 'labels-v1.geojson'], { cwd: repo });
    assert.equal(readFileSync(join(repo, 'labels-v1.geojson.dvc'), 'utf8'), golden('09-import/labels-v1.geojson.dvc'));
    assert.equal(readFileSync(join(repo, '.gitignore'), 'utf8'), golden('09-import/gitignore-after'));

    // a fresh clone of the consumer (no remote of its own): pull reads the imports from the source
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'imports');
    const clone = join(tmp, 'clone');
    git(tmp, 'clone', '-q', repo, clone);
    const pulled = JSON.parse((await cliOk(['pull', '--json'], { cwd: clone })).stdout) as { failed: unknown[]; added: string[] };
    assert.deepEqual(pulled.failed, []);
    assert.equal(pulled.added.length, 4);
    assert.equal(sha256List(join(clone, 'imagery')), golden('09-import/imported-imagery.sha256'));
    assert.equal(sha256List(clone, 'labels.geojson').split('  ')[0], golden('09-import/get-labels.sha256').split('  ')[0]);
    assert.equal(sha256List(clone, 'labels-v1.geojson').split('  ')[0], golden('09-import/get-labels-v1.sha256').split('  ')[0]);

    // get: no tracking, works outside a repository
    const out = join(tmp, 'get');
    mkdirSync(out);
    await cliOk(['get', '../src', 'data/imagery'], { cwd: out });
    await get({ cwd: out, url: '../src', path: 'data/labels.geojson', out: 'got.geojson' });
    await get({ cwd: out, url: '../src', path: 'data/labels.geojson', out: 'got-v1.geojson', rev: 'v1' });
    assert.equal(sha256List(join(out, 'imagery')), golden('09-import/get-imagery.sha256'));
    assert.equal(sha256List(out, 'got.geojson'), golden('09-import/get-labels.sha256'));
    assert.equal(sha256List(out, 'got-v1.geojson'), golden('09-import/get-labels-v1.sha256'));
    assert.ok(!existsSync(join(out, '.gitignore')) && !readdirSync(out).some((n) => n.endsWith('.dvc')), 'get tracks nothing');

    // ls of the source
    const lsCli = async (name: string, args: string[], base: string) => {
      const r = await runCli(['ls', '--json', ...args], { cwd: repo });
      assert.equal(r.code, rc.get(name), `${name}: ${r.stderr}`);
      assert.deepEqual(JSON.parse(r.stdout), lsGolden(`09-import/${name}`, base), name);
    };
    // read-only: run side by side
    await Promise.all([
      lsCli('ls.json', ['../src'], src),
      lsCli('ls-data.json', ['../src', 'data'], join(src, 'data')),
      lsCli('ls-R-dvc-only.json', ['-R', '--dvc-only', '../src'], src),
      lsCli('ls-rev-v1-data-imagery.json', ['--rev', 'v1', '../src', 'data/imagery'], join(src, 'data/imagery')),
    ]);
  } finally { cleanup(); }
});

function cacheFiles(root: string): string {
  const out: string[] = [];
  const rec = (d: string) => { for (const e of readdirSync(d, { withFileTypes: true })) { const p = join(d, e.name); if (e.isDirectory()) rec(p); else out.push('./' + relative(join(root, '.dvc', 'cache'), p)); } };
  rec(join(root, '.dvc', 'cache'));
  return out.sort().join('\n') + '\n';
}

test('10-import-url: file, directory, --no-exec, renamed; status after the source changed; update', async () => {
  // the fixture lives at the absolute path DVC's .dvc files record (part of their stage md5)
  const fx = '/tmp/dvc-goldens-fixture';
  const { dir: repo, cleanup } = makeShmTmpDir('geodvc-golden-import-url-');
  rmSync(fx, { recursive: true, force: true });
  try {
    writeTree(fx, { 'file.csv': 'id,name\n1,a\n', 'dir/one.txt': 'one', 'dir/sub/two.txt': 'two' });
    gitInit(repo);
    initRepo(repo);
    await cliOk(['import-url', `${fx}/file.csv`], { cwd: repo });
    await cliOk(['import-url', `${fx}/dir`], { cwd: repo });
    await cliOk(['import-url', '--no-exec', `${fx}/file.csv`, 'noexec.csv'], { cwd: repo });
    await cliOk(['import-url', `${fx}/file.csv`, 'renamed.csv'], { cwd: repo });
    for (const f of ['file.csv.dvc', 'dir.dvc', 'noexec.csv.dvc', 'renamed.csv.dvc', '.gitignore']) {
      assert.equal(readFileSync(join(repo, f), 'utf8'), golden(`10-import-url/${f}`), f);
    }
    assert.equal(cacheFiles(repo), golden('10-import-url/cache-files.txt'));
    assert.deepEqual(readFileSync(join(repo, '.dvc/cache/files/md5/66/e07f4f147e46c8a5008e08134ac023.dir')), readFileSync(join(G, '10-import-url/dir-objects/66e07f4f147e46c8a5008e08134ac023.dir')));
    assert.equal(readFileSync(join(repo, 'dir/sub/two.txt'), 'utf8'), 'two');
    assert.ok(!existsSync(join(repo, 'noexec.csv')), '--no-exec downloads nothing');

    appendFileSync(join(fx, 'file.csv'), '2,b\n');
    const st = await runCli(['status', '--json'], { cwd: repo });
    assert.equal(st.code, rcOf('10-import-url').get('status-after-source-change.json'));
    assert.deepEqual(JSON.parse(st.stdout), JSON.parse(golden('10-import-url/status-after-source-change.json')));

    const up = await cliOk(['update', '--json', 'file.csv.dvc'], { cwd: repo });
    assert.equal((JSON.parse(up.stdout) as { updated: { changed: boolean }[] }).updated[0]!.changed, true);
    assert.equal(readFileSync(join(repo, 'file.csv.dvc'), 'utf8'), golden('10-import-url/file.csv.updated.dvc'));
    assert.equal(readFileSync(join(repo, 'file.csv'), 'utf8'), 'id,name\n1,a\n2,b\n');
  } finally {
    rmSync(fx, { recursive: true, force: true });
    cleanup();
  }
});

test('registry beyond the goldens: clone of a git URL, subdirectory import, no-op update, get-url, ls-url, errors with hints', async () => {
  const { dir: tmp, cleanup } = makeShmTmpDir('geodvc-import-more-');
  try {
    const src = join(tmp, 'src');
    const repo = join(tmp, 'repo');
    mkdirSync(src);
    gitInit(src);
    initRepo(src);
    writeTree(src, { 'data/imagery/a.tif': 'a', 'data/imagery/sub/b.tif': 'b', 'data/imagery/sub/c.tif': 'cc', 'notes.txt': 'git file\n' });
    await add({ cwd: src, targets: ['data/imagery'] });
    // absolute remote: a clone (file:// URL) reads the data from it, not from the source's cache
    addRemote('store', join(tmp, 'remote'), { root: src, cwd: src, default: true });
    await push({ cwd: src });
    commitAt(src, 'v1', '2024-01-01T00:00:00Z');
    mkdirSync(repo);
    gitInit(repo);
    initRepo(repo);

    const url = `file://${src}`;
    const r = await cliOk(['import', '--json', url, 'data/imagery/sub', '-o', 'sub'], { cwd: repo });
    const res = JSON.parse(r.stdout) as { revLock: string; nfiles: number; size: number; oid: string };
    assert.equal(res.revLock, git(src, 'rev-parse', 'HEAD').trim());
    assert.deepEqual([res.nfiles, res.size], [2, 3]);
    assert.match(res.oid, /^[0-9a-f]{32}\.dir$/);
    assert.equal(readFileSync(join(repo, 'sub/c.tif'), 'utf8'), 'cc');
    assert.match(readFileSync(join(repo, 'sub.dvc'), 'utf8'), new RegExp(`^md5: [0-9a-f]{32}\\nfrozen: true\\ndeps:\\n- path: data/imagery/sub\\n  repo:\\n    url: file://${src}\\n    rev_lock: ${res.revLock}\\nouts:\\n- md5: ${res.oid}\\n  size: 3\\n  nfiles: 2\\n  hash: md5\\n  path: sub\\n$`));
    assert.deepEqual(JSON.parse((await cliOk(['status', '--json'], { cwd: repo })).stdout), {});
    const up = JSON.parse((await cliOk(['update', '--json', 'sub.dvc'], { cwd: repo })).stdout) as { updated: { changed: boolean }[] };
    assert.equal(up.updated[0]!.changed, false, 'nothing new in the source');

    // the source moves on: update follows the default branch, --rev pins (and is recorded)
    const v1 = git(src, 'rev-parse', 'HEAD').trim();
    writeTree(src, { 'data/imagery/sub/d.tif': 'ddd' });
    await add({ cwd: src, targets: ['data/imagery'] });
    await push({ cwd: src });
    const v2 = commitAt(src, 'v2', '2024-01-02T00:00:00Z');
    const u2 = await update({ cwd: repo, targets: ['sub.dvc'] });
    assert.deepEqual([u2.updated[0]!.changed, u2.updated[0]!.revLock], [true, v2]);
    assert.equal(readFileSync(join(repo, 'sub/d.tif'), 'utf8'), 'ddd');
    const u1 = await update({ cwd: repo, targets: ['sub.dvc'], rev: v1 });
    assert.equal(u1.updated[0]!.revLock, v1);
    assert.match(readFileSync(join(repo, 'sub.dvc'), 'utf8'), new RegExp(`\n    rev: ${v1}\n    rev_lock: ${v1}\n[\\s\\S]*  nfiles: 2\n`));
    assert.ok(!existsSync(join(repo, 'sub/d.tif')), 'back at v1');

    // --no-download records the hashes only; pull then gets the data from the source
    const nd = await importData({ cwd: repo, url: '../src', path: 'data/imagery', out: 'nd', noDownload: true });
    assert.equal(nd.checkedOut, false);
    assert.ok(!existsSync(join(repo, 'nd')));
    assert.match(readFileSync(join(repo, '.gitignore'), 'utf8'), /^\/nd$/m);
    await pull({ cwd: repo, targets: ['nd.dvc'] });
    assert.equal(readFileSync(join(repo, 'nd/sub/d.tif'), 'utf8'), 'ddd');

    // ls of a clone: the manifest is not in any local cache, it comes from the source's remote
    const listing = await ls({ cwd: repo, url, path: 'data/imagery' });
    assert.deepEqual(listing, [
      { path: 'a.tif', isout: true, isdir: false, isexec: false, size: null, md5: '0cc175b9c0f1b6a831c399e269772661' },
      { path: 'sub', isout: true, isdir: true, isexec: false, size: null, md5: null },
    ]);

    // this repository at a revision: git files and outputs, never the .dvc directory
    const atRev = await ls({ cwd: src, rev: 'HEAD~1', recursive: true });
    assert.deepEqual(atRev.map((e) => e.path), ['.dvcignore', 'data/.gitignore', 'data/imagery.dvc', 'data/imagery/a.tif', 'data/imagery/sub/b.tif', 'data/imagery/sub/c.tif', 'notes.txt']);

    // a file inside a tracked directory, from the local path (source cache)
    await cliOk(['import', '../src', 'data/imagery/a.tif'], { cwd: repo });
    assert.match(readFileSync(join(repo, 'a.tif.dvc'), 'utf8'), /outs:\n- md5: 0cc175b9c0f1b6a831c399e269772661\n  size: 1\n  hash: md5\n  path: a.tif\n$/);

    // errors: exit 1 with a hint, nothing written
    const missing = await runCli(['import', '../src', 'data/nope'], { cwd: repo });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /'data\/nope' does not exist/);
    assert.match(missing.stderr, /hint: .*geodvc ls/);
    assert.ok(!existsSync(join(repo, 'nope.dvc')));
    const rejects = (p: Promise<unknown>, code: string, msg: RegExp) => assert.rejects(p, (e: AppError) => e.code === code && msg.test(e.message) && !!e.hint);
    await rejects(importData({ cwd: repo, url: '../src', path: 'data/imagery/a.tif' }), 'exists', /already exists/);
    await rejects(importData({ cwd: repo, url: '../src', path: 'data/imagery', rev: 'nosuch' }), 'git', /unknown revision 'nosuch'/);
    await rejects(importData({ cwd: repo, url: '../src', path: 'notes.txt' }), 'usage', /tracked by git/);
    await rejects(importData({ cwd: repo, url: '../nowhere', path: 'x' }), 'not-found', /does not exist/);
    await rejects(update({ cwd: repo, targets: ['nothing.dvc'] }), 'not-found', /does not exist/);
    await rejects(importData({ cwd: repo, url: '../src', path: 'data/imagery', out: 'sub/x' }), 'already-tracked', /overlaps 'sub'/);

    // get of a git-tracked file; get-url and ls-url of a local directory
    await get({ cwd: tmp, url: src, path: 'notes.txt', out: 'notes-copy.txt' });
    assert.equal(readFileSync(join(tmp, 'notes-copy.txt'), 'utf8'), 'git file\n');
    await getUrl({ cwd: tmp, url: join(src, 'data/imagery'), out: 'copy' });
    assert.equal(sha256List(join(tmp, 'copy')), sha256List(join(src, 'data/imagery')));
    const lsu = JSON.parse((await cliOk(['ls-url', '--json', join(src, 'data/imagery')], { cwd: tmp })).stdout);
    assert.deepEqual(lsu, [{ path: 'a.tif', isdir: false, size: 1 }, { path: 'sub', isdir: true, size: null }]);
    const lsuR = await lsUrl({ cwd: tmp, url: join(src, 'data/imagery'), recursive: true });
    assert.deepEqual(lsuR.map((e) => e.path), ['a.tif', 'sub/b.tif', 'sub/c.tif', 'sub/d.tif']);
    await rejects(lsUrl({ cwd: tmp, url: join(src, 'nope') }), 'not-found', /does not exist/);
  } finally { cleanup(); }
});

test('import-url / get-url / update over HTTP (a node:http server on 127.0.0.1): the storage backend reads the URL', async () => {
  const { createServer } = await import('node:http');
  const files = new Map<string, string>([['/data/scene.csv', 'id,class\n1,water\n']]);
  const server = createServer((req, res) => {
    const body = files.get(req.url ?? '');
    if (body === undefined) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { dir: repo, cleanup } = makeShmTmpDir('geodvc-import-http-');
  try {
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/data/scene.csv`;
    gitInit(repo);
    initRepo(repo);
    await cliOk(['import-url', url], { cwd: repo });
    const md5 = createHash('md5').update('id,class\n1,water\n').digest('hex');
    const text = readFileSync(join(repo, 'scene.csv.dvc'), 'utf8');
    assert.match(text, new RegExp(`^md5: [0-9a-f]{32}\\nfrozen: true\\ndeps:\\n- md5: ${md5}\\n  size: 17\\n  hash: md5\\n  path: ${url.replace(/[.?]/g, '\\$&')}\\nouts:\\n- md5: ${md5}\\n  size: 17\\n  hash: md5\\n  path: scene.csv\\n$`));
    assert.equal(readFileSync(join(repo, 'scene.csv'), 'utf8'), 'id,class\n1,water\n');
    files.set('/data/scene.csv', 'id,class\n1,water\n2,forest\n');
    await cliOk(['update', 'scene.csv.dvc'], { cwd: repo });
    assert.equal(readFileSync(join(repo, 'scene.csv'), 'utf8'), 'id,class\n1,water\n2,forest\n');
    assert.match(readFileSync(join(repo, 'scene.csv.dvc'), 'utf8'), /size: 26\n/);
    await cliOk(['get-url', url, 'copy.csv'], { cwd: repo });
    assert.equal(readFileSync(join(repo, 'copy.csv'), 'utf8'), 'id,class\n1,water\n2,forest\n');
    const gone = await runCli(['import-url', url.replace('scene', 'gone'), 'gone.csv'], { cwd: repo });
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /does not exist[\s\S]*hint:/);
  } finally {
    server.close();
    cleanup();
  }
});
