/**
 * DVC compatibility of the remote layout: what geodvc pushes has exactly the paths DVC 3.64 wrote
 * for the same data (golden 07-remote-layout.txt) and the bytes DVC expects, and a remote laid out
 * by DVC (DVC 3 `files/md5/..` plus a DVC 2 legacy object at the root) is pulled by geodvc.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { runCli, GOLDENS } from '../helpers/cli.js';
import { gitInit } from '../helpers/tmp.js';
import { listFiles, setRemote } from './storage-repo.js';

const md5 = (b: string | Buffer) => createHash('md5').update(b).digest('hex');

test('push writes the paths and bytes of DVC\'s remote layout (golden 07)', { timeout: 300_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'geodvc-layout-'));
  try {
    const root = join(tmp, 'repo');
    mkdirSync(join(root, 'd'), { recursive: true });
    gitInit(root);
    writeFileSync(join(root, 'd', 'one'), 'one');
    writeFileSync(join(root, 'd', 'two'), 'two');
    writeFileSync(join(root, 'foo'), 'foo');
    assert.equal((await runCli(['init'], { cwd: root })).code, 0);
    assert.equal((await runCli(['add', 'd', 'foo'], { cwd: root })).code, 0);
    const remote = join(tmp, 'remote');
    assert.equal((await runCli(['remote', 'add', '-d', 'store', remote], { cwd: root })).code, 0);
    const r = await runCli(['push'], { cwd: root });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /4 files pushed/);
    const golden = readFileSync(join(GOLDENS, '07-remote-layout.txt'), 'utf8').trim().split('\n').map((l) => l.replace(/^\.\//, '')).sort();
    assert.deepEqual(listFiles(remote), golden);
    for (const f of golden) {
      const bytes = readFileSync(join(remote, f));
      const name = f.replace(/^files\/md5\//, '').replace('/', '');
      assert.equal(md5(bytes) + (name.endsWith('.dir') ? '.dir' : ''), name, `${f} holds the bytes its name promises`);
    }
    assert.equal(readFileSync(join(remote, 'files/md5/6b/18131dc289fd37006705affe961ef8.dir'), 'utf8'),
      '[{"md5": "f97c5d29941bfb1b2fdab0874906ab82", "relpath": "one"}, {"md5": "b8a9f715dbb64fd5c56e7783c6820a61", "relpath": "two"}]');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('a remote written in DVC\'s layout (DVC 3 and a legacy DVC 2 object) is pulled', { timeout: 300_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'geodvc-layout-'));
  try {
    // the remote, built byte by byte as DVC lays it out
    const remote = join(tmp, 'dvc-remote');
    const put = (rel: string, bytes: string) => { mkdirSync(dirname(join(remote, rel)), { recursive: true }); writeFileSync(join(remote, rel), bytes); };
    const manifest = `[{"md5": "${md5('one')}", "relpath": "one"}, {"md5": "${md5('two')}", "relpath": "two"}]`;
    const dirOid = `${md5(manifest)}.dir`;
    assert.equal(dirOid, '6b18131dc289fd37006705affe961ef8.dir', 'the manifest DVC wrote for golden 07');
    for (const s of ['one', 'two', 'foo']) put(`files/md5/${md5(s).slice(0, 2)}/${md5(s).slice(2)}`, s);
    put(`files/md5/${dirOid.slice(0, 2)}/${dirOid.slice(2)}`, manifest);
    // DVC 2: md5 of the dos2unix text, stored raw at the remote root
    const legacyBytes = 'a\r\nb\r\nc';
    const legacyOid = md5('a\nb\nc');
    assert.equal(legacyOid, 'c32b2057b9bd62caa835386346177935');
    put(`${legacyOid.slice(0, 2)}/${legacyOid.slice(2)}`, legacyBytes);

    const root = join(tmp, 'clone');
    mkdirSync(root, { recursive: true });
    gitInit(root);
    assert.equal((await runCli(['init'], { cwd: root })).code, 0);
    writeFileSync(join(root, 'd.dvc'), `outs:\n- md5: ${dirOid}\n  size: 6\n  nfiles: 2\n  hash: md5\n  path: d\n`);
    writeFileSync(join(root, 'foo.dvc'), `outs:\n- md5: ${md5('foo')}\n  size: 3\n  hash: md5\n  path: foo\n`);
    writeFileSync(join(root, 'legacy.txt.dvc'), `outs:\n- md5: ${legacyOid}\n  size: 7\n  path: legacy.txt\n`);
    setRemote(root, 'dvc', remote, {}, { isDefault: true });
    const st = await runCli(['status', '-c', '--json'], { cwd: root });
    assert.equal(st.code, 0, st.stderr);
    assert.deepEqual(JSON.parse(st.stdout), { d: 'deleted', 'd/one': 'deleted', 'd/two': 'deleted', foo: 'deleted', 'legacy.txt': 'deleted' });
    const r = await runCli(['pull'], { cwd: root });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /5 files fetched and 4 files added/);
    assert.equal(readFileSync(join(root, 'd', 'one'), 'utf8'), 'one');
    assert.equal(readFileSync(join(root, 'd', 'two'), 'utf8'), 'two');
    assert.equal(readFileSync(join(root, 'foo'), 'utf8'), 'foo');
    assert.equal(readFileSync(join(root, 'legacy.txt'), 'utf8'), legacyBytes);
    const st2 = await runCli(['status', '-c'], { cwd: root });
    assert.match(st2.stdout, /Cache and remote 'dvc' are in sync\./);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
