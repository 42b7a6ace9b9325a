/**
 * Issue 17, path attacks: a repository crafted by an outsider (committed `.dvc` files, `dvc.lock`,
 * `dvc.yaml`, `.dir` manifests on the remote, symlinks) is cloned with git and the real CLI is run
 * on it. Every attack must fail with a clear error naming the path and the rule, a hint that never
 * suggests `--force`, a non-zero exit, and nothing under `.git` may be created, changed or deleted
 * (the whole `.git` tree is snapshotted before and after: paths, sizes, mtimes, content hashes,
 * modes and symlink targets).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, relative } from 'node:path';
import { execFileSync } from 'node:child_process';
import { git, gitInit, makeTmpDir, writeTree } from '../helpers/tmp.js';
import { runCli, type CliResult } from '../helpers/cli.js';

const md5 = (b: string | Buffer) => createHash('md5').update(b).digest('hex');
const HOOK = '#!/bin/sh\necho pwned > /tmp/geodvc-hardening-pwned\n';

/** Every entry under `dir`: relpath -> "kind size mtime mode hash|target". */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const st = lstatSync(p);
      const rel = relative(dir, p);
      if (st.isSymbolicLink()) out.set(rel, `link ${readlinkSync(p)}`);
      else if (st.isDirectory()) { out.set(rel, `dir ${st.mode.toString(8)} ${st.mtimeMs}`); walk(p); }
      else out.set(rel, `file ${st.size} ${st.mtimeMs} ${st.mode.toString(8)} ${md5(readFileSync(p))}`);
    }
  };
  walk(dir);
  return out;
}

function assertSameGit(before: Map<string, string>, after: Map<string, string>, what: string): void {
  const changed: string[] = [];
  for (const [k, v] of before) if (after.get(k) !== v) changed.push(`${k}: ${v} -> ${after.get(k) ?? '(deleted)'}`);
  for (const k of after.keys()) if (!before.has(k)) changed.push(`${k}: (created)`);
  assert.deepEqual(changed, [], `${what}: .git changed`);
}

interface Crafted { victim: string; remote: string; base: string }

/** An object in DVC 3's layout under `root` (a remote or a cache), read-only as a cache holds it. */
function putObject(root: string, oid: string, bytes: string | Buffer): void {
  const p = join(root, 'files', 'md5', oid.slice(0, 2), oid.slice(2));
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, bytes);
  chmodSync(p, 0o444);
}

/** A `.dir` manifest as DVC writes it; returns its oid (objects for the entries are stored too). */
function putDir(roots: string[], entries: Record<string, string>): string {
  const list = Object.keys(entries).sort().map((rel) => ({ rel, oid: md5(entries[rel]!) }));
  const bytes = '[' + list.map((e) => `{"md5": "${e.oid}", "relpath": ${JSON.stringify(e.rel)}}`).join(', ') + ']';
  const oid = md5(bytes) + '.dir';
  for (const r of roots) {
    for (const e of list) putObject(r, e.oid, entries[e.rel]!);
    putObject(r, oid, bytes);
  }
  return oid;
}

/**
 * The attacker's repository: `.dvc/config` naming a local remote, the crafted files, committed;
 * then `git clone`d as the victim would. `objects(remote, cache)` fills the remote and/or the
 * victim's cache (as an earlier fetch would have).
 */
function craft(files: Record<string, string>, objects: (remote: string, victimCache: string) => void, symlinks: Record<string, string> = {}): Crafted {
  const t = makeTmpDir('geodvc-hardening-');
  const origin = join(t.dir, 'origin');
  const remote = join(t.dir, 'remote');
  const victim = join(t.dir, 'victim');
  mkdirSync(origin, { recursive: true });
  gitInit(origin);
  writeTree(origin, { '.dvc/config': `[core]\n    remote = store\n['remote "store"']\n    url = ${remote}\n`, '.dvc/.gitignore': '/config.local\n/tmp\n/cache\n', ...files });
  for (const [link, target] of Object.entries(symlinks)) symlinkSync(target, join(origin, link));
  git(origin, 'add', '-A');
  git(origin, 'commit', '-q', '-m', 'crafted');
  execFileSync('git', ['clone', '-q', origin, victim]);
  mkdirSync(remote, { recursive: true });
  objects(remote, join(victim, '.dvc', 'cache'));
  cleanups.push(t.cleanup);
  return { victim, remote, base: t.dir };
}

const cleanups: (() => void)[] = [];

/** Runs the CLI on the victim and checks the refusal: exit != 0, the path and the rule named, no --force in the hint, .git unchanged. */
async function attack(c: Crafted, args: string[], pathShown: RegExp, what: string): Promise<CliResult> {
  const before = snapshot(join(c.victim, '.git'));
  const r = await runCli(args, { cwd: c.victim });
  const after = snapshot(join(c.victim, '.git'));
  assert.notEqual(r.code, 0, `${what}: must fail\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /ERROR: /, `${what}: a clear error\n${r.stderr}`);
  assert.match(r.stderr, pathShown, `${what}: names the path\n${r.stderr}`);
  assert.match(r.stderr, /\.git|\.dvc|outside the workspace/, `${what}: names the rule\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /--force/, `${what}: the hint must never suggest --force\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /pull|missing from the cache/i, `${what}: not a "missing data" message\n${r.stderr}`);
  assertSameGit(before, after, what);
  return r;
}

test('crafted repositories cannot make pull/checkout/repro/add write under .git or .dvc (issue 17)', { timeout: 180_000 }, async () => {
  const sections: (() => Promise<void>)[] = [];
  try {
    const hookOid = md5(HOOK);

    // 1. an executable post-checkout hook as an output, its object on the remote: pull refuses
    sections.push(async () => {
      const c = craft({ 'hook.dvc': `outs:\n- md5: ${hookOid}\n  size: ${HOOK.length}\n  isexec: true\n  hash: md5\n  path: .git/hooks/post-checkout\n` },
        (remote) => putObject(remote, hookOid, HOOK));
      const r = await attack(c, ['pull'], /\.git\/hooks\/post-checkout/, 'pull of .git/hooks/post-checkout');
      assert.match(r.stderr, /never writes|rule/);
      assert.equal(existsSync(join(c.victim, '.git', 'hooks', 'post-checkout')), false);
      await attack(c, ['pull', '--force'], /\.git\/hooks\/post-checkout/, 'pull --force of .git/hooks/post-checkout');
      await attack(c, ['checkout', '--force'], /\.git\/hooks\/post-checkout/, 'checkout --force of .git/hooks/post-checkout');
    });

    // 2. `.git` itself as a directory output holding `config` (objects already in the cache)
    sections.push(async () => {
      const cfg = '[core]\n\tfsmonitor = "echo pwned"\n';
      let dirOid = '';
      const c = craft({}, (remote, cache) => { dirOid = putDir([remote, cache], { config: cfg }); });
      writeFileSync(join(c.victim, 'g.dvc'), `outs:\n- md5: ${dirOid}\n  size: ${cfg.length}\n  nfiles: 1\n  hash: md5\n  path: .git\n`);
      await attack(c, ['checkout'], /"\.git"/, 'checkout of a .git directory output');
      await attack(c, ['checkout', '--force'], /"\.git"/, 'checkout --force of a .git directory output');
      assert.doesNotMatch(readFileSync(join(c.victim, '.git', 'config'), 'utf8'), /fsmonitor/);
    });

    // 3. `.git/config` as a file output: refused by pull and by checkout --force, no --force hint
    sections.push(async () => {
      const cfg = '[core]\n\tfsmonitor = "echo pwned"\n';
      const c = craft({ 'cfg.dvc': `outs:\n- md5: ${md5(cfg)}\n  size: ${cfg.length}\n  hash: md5\n  path: .git/config\n` },
        (remote, cache) => { putObject(remote, md5(cfg), cfg); putObject(cache, md5(cfg), cfg); });
      await attack(c, ['pull'], /\.git\/config/, 'pull of .git/config');
      await attack(c, ['checkout', '--force'], /\.git\/config/, 'checkout --force of .git/config');
    });

    // 4. dvc.lock stage output .git/hooks/pre-commit: checkout refuses; dvc.yaml outs/deps/wdir: repro refuses (the command never runs)
    sections.push(async () => {
      const yaml = 'stages:\n  evil:\n    cmd: sh -c "cp payload .git/hooks/pre-commit"\n    deps:\n    - payload\n    outs:\n    - .git/hooks/pre-commit\n';
      const lock = `schema: '2.0'\nstages:\n  evil:\n    cmd: sh -c "cp payload .git/hooks/pre-commit"\n    deps:\n    - path: payload\n      hash: md5\n      md5: ${hookOid}\n      size: ${HOOK.length}\n    outs:\n    - path: .git/hooks/pre-commit\n      hash: md5\n      md5: ${hookOid}\n      size: ${HOOK.length}\n      isexec: true\n`;
      const c = craft({ 'dvc.yaml': yaml, 'dvc.lock': lock, payload: HOOK }, (remote, cache) => { putObject(remote, hookOid, HOOK); putObject(cache, hookOid, HOOK); });
      await attack(c, ['checkout'], /\.git\/hooks\/pre-commit/, 'checkout of a dvc.lock output in .git');
      await attack(c, ['checkout', '--force'], /\.git\/hooks\/pre-commit/, 'checkout --force of a dvc.lock output in .git');
      await attack(c, ['pull'], /\.git\/hooks\/pre-commit/, 'pull of a dvc.lock output in .git');
      await attack(c, ['repro'], /\.git\/hooks\/pre-commit/, 'repro of a dvc.yaml output in .git');
      // a dependency inside .git, and a wdir inside .git with an innocent-looking output
      writeFileSync(join(c.victim, 'dvc.lock'), "schema: '2.0'\nstages: {}\n");
      writeFileSync(join(c.victim, 'dvc.yaml'), 'stages:\n  leak:\n    cmd: cp .git/config out.txt\n    deps:\n    - .GIT/config\n    outs:\n    - out.txt\n');
      await attack(c, ['repro'], /\.GIT\/config/, 'repro with a dependency in .git');
      writeFileSync(join(c.victim, 'dvc.yaml'), 'stages:\n  wd:\n    cmd: cp ../../payload pre-commit\n    wdir: .git/hooks\n    outs:\n    - pre-commit\n');
      await attack(c, ['repro'], /wdir|\.git/, 'repro with a wdir in .git');
      assert.equal(existsSync(join(c.victim, '.git', 'hooks', 'pre-commit')), false);
    });

    // 5. a workspace symlink hk -> .git/hooks plus hk.dvc: checkout --force must not delete or write through it
    sections.push(async () => {
      let dirOid = '';
      const c = craft({}, (remote, cache) => { dirOid = putDir([remote, cache], { 'pre-commit': HOOK }); }, { hk: '.git/hooks' });
      writeFileSync(join(c.victim, 'hk.dvc'), `outs:\n- md5: ${dirOid}\n  size: ${HOOK.length}\n  nfiles: 1\n  hash: md5\n  path: hk\n`);
      // a name checkout's walk would clear as a stale temp file: it must survive (nothing is walked through the link)
      writeFileSync(join(c.victim, '.git', 'hooks', '.geodvc-tmp-keep'), 'keep\n');
      const samples = readdirSync(join(c.victim, '.git', 'hooks'));
      assert.ok(samples.length > 0, 'git clone leaves sample hooks');
      const r = await attack(c, ['checkout', '--force'], /hk/, 'checkout --force through hk -> .git/hooks');
      assert.match(r.stderr, /symlink/);
      assert.deepEqual(readdirSync(join(c.victim, '.git', 'hooks')), samples);
      // add and commit through the link are refused too (storing may relink or chmod files in place)
      await attack(c, ['add', 'hk/pre-commit.sample'], /hk/, 'add of a file reached through hk -> .git/hooks');
      await attack(c, ['commit', '-f', 'hk.dvc'], /hk/, 'commit of an output reached through hk -> .git/hooks');
    });

    // 6. any case, any segment, .dir entries, .dvc internals
    sections.push(async () => {
      const payload = 'x\n';
      // (every spelling is also checked in src/lib/safepath.test.ts and src/core/dvcfile/dvcfile.test.ts)
      const cases = ['.GIT/hooks/post-checkout', 'sub/.Git/hooks/pre-commit', '.dvc/config'];
      for (const p of cases) {
        const c = craft({ 'evil.dvc': `outs:\n- md5: ${md5(payload)}\n  size: 2\n  hash: md5\n  path: ${JSON.stringify(p)}\n` },
          (remote, cache) => { putObject(remote, md5(payload), payload); putObject(cache, md5(payload), payload); });
        const before = snapshot(join(c.victim, '.dvc'));
        await attack(c, ['checkout', '--force'], new RegExp(p.replace(/[.~]/g, '\\$&')), `checkout --force of ${p}`);
        assert.deepEqual([...snapshot(join(c.victim, '.dvc')).keys()].filter((k) => !k.startsWith('tmp') && !before.has(k)), [], `${p}: nothing new in .dvc`);
      }
      // .dir entries whose relpath has a .git segment (output `data`, and output `.` = the repo root)
      for (const [out, rel] of [['data', 'a/.GIT/hooks/x'], ['.', '.git/hooks/post-checkout']] as const) {
        let dirOid = '';
        const c = craft({}, (remote, cache) => { dirOid = putDir([remote, cache], { [rel]: HOOK, 'ok.txt': 'ok\n' }); });
        writeFileSync(join(c.victim, 'd.dvc'), `outs:\n- md5: ${dirOid}\n  size: 10\n  nfiles: 2\n  hash: md5\n  path: ${out}\n`);
        await attack(c, ['checkout', '--force'], new RegExp(rel.replace(/\./g, '\\.')), `checkout of a .dir entry ${out}/${rel}`);
        if (out === '.') await attack(c, ['pull', '--force'], new RegExp(rel.replace(/\./g, '\\.')), `pull of a .dir entry ${out}/${rel}`);
      }
    });

    // 7. -o targets of add, and a symlink leading out of the workspace
    sections.push(async () => {
      const c = craft({}, () => {});
      writeFileSync(join(c.base, 'src.txt'), HOOK);
      for (const o of ['.GIT/hooks/x', '.dvc/config']) {
        await attack(c, ['add', join(c.base, 'src.txt'), '-o', o], new RegExp(o.replace(/\./g, '\\.')), `add -o ${o}`);
      }
      await attack(c, ['import-url', join(c.base, 'src.txt'), '.Git/hooks/post-checkout'], /\.Git\/hooks/, 'import-url into .Git/hooks');
      mkdirSync(join(c.base, 'outside'));
      writeFileSync(join(c.base, 'outside', 'keep'), 'keep\n');
      symlinkSync(join(c.base, 'outside'), join(c.victim, 'out'));
      let dirOid = '';
      dirOid = putDir([join(c.victim, '.dvc', 'cache')], { 'x.txt': 'x\n' });
      writeFileSync(join(c.victim, 'out.dvc'), `outs:\n- md5: ${dirOid}\n  size: 2\n  nfiles: 1\n  hash: md5\n  path: out\n`);
      await attack(c, ['checkout', '--force'], /out/, 'checkout --force through a symlink leaving the workspace');
      assert.deepEqual(readdirSync(join(c.base, 'outside')), ['keep']);
      await attack(c, ['add', join(c.base, 'src.txt'), '-o', 'out/y'], /out/, 'add -o through a symlink leaving the workspace');
      assert.deepEqual(readdirSync(join(c.base, 'outside')), ['keep']);
    });

    // the attacks are independent: three at a time (each is a chain of CLI runs)
    let next = 0;
    await Promise.all([0, 1, 2].map(async () => { while (next < sections.length) await sections[next++]!(); }));
  } finally {
    for (const f of cleanups.splice(0)) f();
  }
});

test('an honest repository still checks out (the rule refuses only .git/.dvc paths)', { timeout: 60_000 }, async () => {
  try {
    const body = 'fine\n';
    let dirOid = '';
    // names close to the reserved ones are ordinary data: .gitignore-like, .github, git, dvc.txt, x.dvc.bak
    const c = craft({}, (remote, cache) => { dirOid = putDir([remote, cache], { '.github/workflow.yml': body, 'git/x': body, '.gitkeep': body, 'dvc.txt': body }); });
    copyFileSync(join(c.victim, '.dvc', 'config'), join(c.victim, '.dvc', 'config.bak'));
    writeFileSync(join(c.victim, 'data.dvc'), `outs:\n- md5: ${dirOid}\n  size: 20\n  nfiles: 4\n  hash: md5\n  path: data\n`);
    const before = snapshot(join(c.victim, '.git'));
    const r = await runCli(['checkout'], { cwd: c.victim });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(c.victim, 'data', '.github', 'workflow.yml'), 'utf8'), body);
    assert.equal(readFileSync(join(c.victim, 'data', 'git', 'x'), 'utf8'), body);
    const after = snapshot(join(c.victim, '.git'));
    assertSameGit(before, after, 'honest checkout');
  } finally {
    for (const f of cleanups.splice(0)) f();
  }
});
