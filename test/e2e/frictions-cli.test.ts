/** Issue 20, CLI frictions: doctor's dependency report, geo --help, repro -q, the git-add hint after repro. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS, cliOk, runCli, REPO_ROOT } from '../helpers/cli.js';
import { makeShmTmpDir, gitInit, git, writeTree } from '../helpers/tmp.js';

const SDKS = ['@aws-sdk/client-s3', '@azure/storage-blob', '@google-cloud/storage', 'ssh2-sftp-client', 'bullmq', 'gdal-async'];

test('doctor lists the xxhash backend, every optional SDK and, inside a repo, the cache type and dir', async () => {
  const t = makeShmTmpDir('geodvc-fr-doc-');
  try {
    gitInit(t.dir);
    await cliOk(['init', '-q'], { cwd: t.dir });
    writeTree(t.dir, { 'sub/x': '' });
    const sub = join(t.dir, 'sub');
    const text = (await cliOk(['doctor'], { cwd: sub })).stdout;
    assert.match(text, /^xxhash: (native libxxhash|WASM)/m);
    for (const p of SDKS) assert.match(text, new RegExp(`^\\t${p.replace(/[/@.-]/g, '\\$&')} \\((\\d+\\.\\d+\\.\\d+\\S*|not installed)\\)$`, 'm'), p);
    assert.match(text, /^Cache types: /m);
    assert.match(text, /^Cache directory: \.\.\/\.dvc\/cache$/m);
    const j = JSON.parse((await cliOk(['version', '--json'], { cwd: sub })).stdout);
    assert.deepEqual(Object.keys(j.packages).sort(), [...SDKS].sort());
    assert.equal(j.node, process.version);
    assert.equal(j.repo.cacheDir, join(t.dir, '.dvc', 'cache'));
    // outside a repo: no cache lines, still exit 0
    const bare = makeShmTmpDir('geodvc-fr-norepo-');
    try {
      const out = (await cliOk(['doctor'], { cwd: bare.dir })).stdout;
      assert.doesNotMatch(out, /Cache directory/);
    } finally { bare.cleanup(); }
  } finally { t.cleanup(); }
});

test('geo --help names every geo subcommand, in the group description and the command list (also in top-level help)', async () => {
  const names = readdirSync(join(REPO_ROOT, 'src', 'cli', 'commands', 'geo'))
    .filter((f) => f.endsWith('.ts') && !f.startsWith('_') && !f.endsWith('.test.ts')).map((f) => f.slice(0, -3));
  assert.ok(names.length >= 13, `${names.length} geo subcommands`);
  const help = (await cliOk(['geo', '--help'], { cwd: REPO_ROOT })).stdout;
  const [desc, list] = help.split(/\nCommands:\n/);
  for (const n of names) {
    assert.match(list!, new RegExp(`^  ${n} `, 'm'), `geo --help command list lacks ${n}`);
    assert.match(desc!.replace(/\s+/g, ' '), new RegExp(`\\b${n}\\b`), `geo description lacks ${n}`);
  }
  const top = (await cliOk(['--help'], { cwd: REPO_ROOT })).stdout.replace(/\s+/g, ' ');
  for (const n of names) assert.match(top.slice(top.indexOf(' geo ')), new RegExp(`\\b${n}\\b`), `top-level help: geo lacks ${n}`);
});

function pipelineRepo(cmd: string): { dir: string; cleanup: () => void } {
  const t = makeShmTmpDir('geodvc-fr-pl-');
  gitInit(t.dir);
  writeTree(t.dir, {
    'data/a.txt': 'a\n',
    'sub/keep': '',
    'dvc.yaml': `stages:\n  s:\n    cmd: ${JSON.stringify(cmd)}\n    deps: [data/a.txt]\n    outs: [sub/out.txt]\n`,
  });
  return t;
}

test('repro -q prints nothing (a stage\'s own progress and output included) unless the stage fails', async () => {
  const t = pipelineRepo('cp data/a.txt sub/out.txt && echo "chipping... (3)" >&2 && echo hello && test ! -f fail');
  try {
    await cliOk(['init', '-q'], { cwd: t.dir });
    const r = await cliOk(['repro', '-q'], { cwd: t.dir });
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, '');
    assert.equal(readFileSync(join(t.dir, 'sub', 'out.txt'), 'utf8'), 'a\n');
    // without -q the stage's output passes through
    const loud = await cliOk(['repro', '-f'], { cwd: t.dir });
    assert.match(loud.stdout, /^hello$/m);
    assert.match(loud.stderr, /chipping\.\.\. \(3\)/);
    // a failing stage under -q: its output is shown with the error
    writeFileSync(join(t.dir, 'fail'), '');
    const bad = await runCli(['repro', '-q', '-f'], { cwd: t.dir });
    assert.equal(bad.code, 1);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /chipping\.\.\. \(3\)/);
    assert.match(bad.stderr, /hello/);
  } finally { t.cleanup(); }
});

test('repro ends with DVC\'s "git add" hint for the dvc.lock and .gitignore it wrote (relative to the cwd), not with -q/--json, staged with core.autostage', async () => {
  const t = pipelineRepo('cp data/a.txt sub/out.txt');
  try {
    await cliOk(['init', '-q'], { cwd: t.dir });
    const sub = join(t.dir, 'sub');
    const r = await cliOk(['repro'], { cwd: sub });
    assert.match(r.stdout, /\nTo track the changes with git, run:\n\n\tgit add \.\.\/dvc\.lock \.gitignore\n\nTo enable auto staging, run:\n\n\tgeodvc config core\.autostage true\n/);
    // the printed line works as pasted
    git(sub, 'add', ...r.stdout.match(/\tgit add (.*)\n/)![1]!.split(' '));
    assert.match(git(t.dir, 'status', '--porcelain'), /^A  dvc\.lock$/m);
    // nothing changed: no hint
    assert.doesNotMatch((await cliOk(['repro'], { cwd: sub })).stdout, /git add/);
    writeFileSync(join(t.dir, 'data', 'a.txt'), 'b\n');
    const j = await cliOk(['repro', '--json'], { cwd: t.dir });
    assert.deepEqual(JSON.parse(j.stdout).ran, ['s']);
    writeFileSync(join(t.dir, 'data', 'a.txt'), 'c\n');
    assert.equal((await cliOk(['repro', '-q'], { cwd: t.dir })).stdout, '');
    // core.autostage: geodvc stages the files itself and prints no hint
    git(t.dir, 'commit', '-qm', 'one');
    await cliOk(['config', 'core.autostage', 'true'], { cwd: t.dir });
    writeFileSync(join(t.dir, 'data', 'a.txt'), 'd\n');
    assert.doesNotMatch((await cliOk(['repro'], { cwd: t.dir })).stdout, /git add/);
    assert.match(git(t.dir, 'status', '--porcelain'), /^M  dvc\.lock$/m);
  } finally { t.cleanup(); }
});

test('add from a subdirectory prints a git add line that works there', async () => {
  const t = makeShmTmpDir('geodvc-fr-add-');
  try {
    gitInit(t.dir);
    await cliOk(['init', '-q'], { cwd: t.dir });
    writeTree(t.dir, { 'sub/a.tif': 'x', 'sub/b.tif': 'y' });
    const sub = join(t.dir, 'sub');
    const r = await cliOk(['add', 'a.tif', 'b.tif'], { cwd: sub });
    assert.match(r.stdout, /\tgit add a\.tif\.dvc b\.tif\.dvc \.gitignore\n/);
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(t.dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    assert.equal((await cliOk(['add', '-q', 'a.tif'], { cwd: sub })).stdout, '');
  } finally { t.cleanup(); }
});

test('progress counters: a phase followed by another is reported complete (geo reproject of two rasters: reading 2/2, not 0/2)', async () => {
  const t = makeShmTmpDir('geodvc-fr-prog-');
  try {
    writeTree(t.dir, { 'in/a.tif': readFileSync(join(CORPUS, 'byte.tif')), 'in/b.tif': readFileSync(join(CORPUS, 'byte.tif')) });
    const r = await cliOk(['geo', 'reproject', '--input', 'in', '--output', 'out', '--crs', 'EPSG:4326'], { cwd: t.dir });
    assert.match(r.stderr, /^reading: done \(2\/2\) in /m);
    assert.doesNotMatch(r.stderr, /done \(0\/\d/);
  } finally { t.cleanup(); }
});

test('summaries of the common commands run from a subdirectory (absolute targets too) print no absolute path', async () => {
  const t = pipelineRepo('cp data/a.txt sub/out.txt');
  const remote = makeShmTmpDir('geodvc-fr-remote-');
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  try {
    await cliOk(['init', '-q'], { cwd: t.dir });
    await cliOk(['remote', 'add', '-d', 'r', remote.dir], { cwd: t.dir });
    const sub = join(t.dir, 'sub');
    writeTree(sub, { 'w.txt': 'w\n' });
    const abs = join(sub, 'w.txt');
    const steps: string[][] = [
      ['add', abs], ['repro'], ['status'], ['push'], ['status', '-c'], ['checkout', abs], ['pull', `${abs}.dvc`],
      ['move', abs, join(sub, 'w2.txt')], ['fsck'], ['remove', join(sub, 'w2.txt.dvc')], ['gc', '-w', '-f'], ['status'],
    ];
    let all = '';
    for (const args of steps) {
      const r = await cliOk(args, { cwd: sub });
      all += `$ ${args[0]}\n${r.stdout}${r.stderr}`;
    }
    assert.match(all, /Moved 'sub\/w\.txt' to 'sub\/w2\.txt'/);
    assert.match(all, /\tgit add w\.txt\.dvc \.gitignore\n/);
    assert.doesNotMatch(all, new RegExp(esc(t.dir)), all);
    assert.doesNotMatch(all, new RegExp(esc(remote.dir)), all);
  } finally { t.cleanup(); remote.cleanup(); }
});

test('-q and -v are accepted before the command too (`geodvc -q repro`, as DVC)', async () => {
  const t = pipelineRepo('cp data/a.txt sub/out.txt && echo "chipping... (3)" >&2');
  try {
    await cliOk(['init', '-q'], { cwd: t.dir });
    const r = await cliOk(['-q', 'repro'], { cwd: t.dir });
    assert.equal(r.stdout + r.stderr, '');
    assert.equal(readFileSync(join(t.dir, 'sub', 'out.txt'), 'utf8'), 'a\n');
    const loud = await cliOk(['repro', '-f'], { cwd: t.dir });
    assert.match(loud.stdout, /Running stage 's'/);
  } finally { t.cleanup(); }
});
