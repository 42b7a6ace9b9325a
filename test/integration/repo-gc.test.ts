import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { makeShmTmpDir, gitInit, git } from '../helpers/tmp.js';
import { BIN, runCli } from '../helpers/cli.js';
import { initRepo } from '../../src/core/repo/init.js';
import { openRepo } from '../../src/core/repo/repo.js';
import { gc } from '../../src/core/api/gc.js';
import { listCacheObjects } from '../../src/core/repo/cache-objects.js';
import { trackFile, trackDir, commitAll, storeObject, md5, objPath } from './repo-fixture.js';

let tmp: ReturnType<typeof makeShmTmpDir>;
let base: string;
const O: Record<string, string> = {};
let all: string[];

before(() => {
  // thousands of small objects written and removed: in memory (tmpfs) when the machine has one
  tmp = makeShmTmpDir('geodvc-gc-');
  base = join(tmp.dir, 'base');
  mkdirSync(base);
  gitInit(base);
  initRepo(base);
  const cache = join(base, '.dvc', 'cache');
  O.a1 = trackFile(base, cache, 'a.txt', 'a1');
  const c1 = commitAll(base, 'a1');
  git(base, 'tag', 'v1', c1);
  O.a2 = trackFile(base, cache, 'a.txt', 'a2');
  commitAll(base, 'a2');
  git(base, 'checkout', '-q', '-b', 'b1');
  const d = trackDir(base, cache, 'data/d', { x: 'x1', 'sub/y': 'y1' });
  O.d = d.dirOid; O.x = d.members[0]!; O.y = d.members[1]!;
  commitAll(base, 'dir');
  git(base, 'checkout', '-q', 'main');
  git(base, 'checkout', '-q', '-b', 'b2');
  O.c1 = trackFile(base, cache, 'c.txt', 'c1');
  commitAll(base, 'c');
  git(base, 'checkout', '-q', '--detach', 'main');
  O.e1 = trackFile(base, cache, 'e.txt', 'e1');
  const c5 = commitAll(base, 'exp');
  git(base, 'update-ref', `refs/exps/${c5.slice(0, 2)}/${c5.slice(2)}/exp-lr05`, c5);
  git(base, 'checkout', '-q', 'main');
  // Run-cache entry that records r.txt.
  O.r1 = storeObject(cache, 'r1');
  const rk = 'ab' + '0'.repeat(62);
  mkdirSync(join(cache, 'runs', 'ab', rk), { recursive: true });
  writeFileSync(join(cache, 'runs', 'ab', rk, 'f'.repeat(64)), `cmd: echo r1 > r.txt\ndeps:\n- path: in.txt\n  hash: md5\n  md5: ${md5('in')}\n  size: 2\nouts:\n- path: r.txt\n  hash: md5\n  md5: ${O.r1}\n  size: 2\n`);
  O.orphan = storeObject(cache, 'orphan');
  writeFileSync(join(cache, 'files', 'md5', O.orphan.slice(0, 2), '.geodvc-tmp-obj-123-abcd'), 'half');
  all = Object.values(O);
  assert.equal(new Set(all).size, all.length);
});
after(() => tmp.cleanup());

function copy(name: string): string {
  const dst = join(tmp.dir, name);
  cpSync(base, dst, { recursive: true });
  return dst;
}

function present(root: string): Set<string> {
  return new Set(listCacheObjects(join(root, '.dvc', 'cache')).objects.map((o) => o.oid));
}

// As DVC 3: run-cache outputs (r1) are not kept; experiment-only objects (e1) only with
// --all-experiments (or scopes whose git walk reaches refs/exps: -A, --date).
const cases: [string, Parameters<typeof gc>[1], string[]][] = [
  ['-w', { workspace: true }, ['a2']],
  ['-a', { allBranches: true }, ['a2', 'd', 'x', 'y', 'c1']],
  ['-T', { allTags: true }, ['a1', 'a2']],
  ['-A', { allCommits: true }, ['a1', 'a2', 'd', 'x', 'y', 'c1', 'e1']],
  ['--rev main -n 2', { revs: ['main'], num: 2 }, ['a1', 'a2']],
  ['--rev b1', { revs: ['b1'] }, ['a2', 'd', 'x', 'y']],
  ['--date 2000-01-01', { date: '2000-01-01' }, ['a1', 'a2', 'd', 'x', 'y', 'c1', 'e1']],
  ['--date 2999-01-01', { date: '2999-01-01' }, ['a2']],
  ['--all-experiments', { allExperiments: true }, ['a2', 'e1']],
  ['-w --keep-run-cache', { workspace: true, keepRunCache: true }, ['a2', 'r1']],
];

test('gc refuses when a used directory manifest is missing, unless told to skip', async () => {
  const root = copy('missing-manifest');
  const repo = await openRepo(root);
  const { rmSync } = await import('node:fs');
  rmSync(objPath(join(root, '.dvc', 'cache'), O.d!));
  await assert.rejects(gc(repo, { allBranches: true }), (e: unknown) => (e as { code: string }).code === 'gc-missing-manifest' && /--skip-failed/.test((e as { hint: string }).hint));
  assert.equal(present(root).size, all.length - 1, 'nothing removed');
  const res = await gc(repo, { allBranches: true, ignoreMissingManifests: true });
  assert.deepEqual(res.missingManifests.length, 1);
  assert.ok(!present(root).has(O.x!), 'members of the unexpandable directory are not protected');
});

for (const [label, scopes, keepNames] of cases) {
  test(`gc ${label} removes exactly the unreferenced objects`, async () => {
    const root = copy(`case-${label.replace(/\W+/g, '_')}`);
    const repo = await openRepo(root);
    const keep = new Set(keepNames.map((n) => O[n]!));
    const expectRemoved = all.filter((o) => !keep.has(o)).sort();
    const dry = await gc(repo, { ...scopes, dry: true });
    assert.deepEqual(dry.removed.map((r) => r.oid).sort(), expectRemoved);
    assert.equal(present(root).size, all.length, 'dry run removed nothing');
    const res = await gc(repo, scopes);
    assert.deepEqual(res.removed.map((r) => r.oid).sort(), expectRemoved);
    assert.deepEqual([...present(root)].sort(), [...keep].sort());
    assert.equal(res.tempFilesRemoved, 1);
    assert.equal(res.bytesFreed, res.removed.reduce((a, r) => a + r.size, 0));
    // .dir before its members
    const order = res.removed.map((r) => r.oid);
    if (order.includes(O.d!)) assert.ok(order.indexOf(O.d!) < order.indexOf(O.x!));
    for (const k of keep) assert.equal(md5(readFileSync(objPath(join(root, '.dvc', 'cache'), k))), k.replace('.dir', ''));
    assert.ok(existsSync(join(root, '.dvc', 'cache', 'runs')), 'run-cache untouched');
  });
}

test('gc without a scope is a usage error; gc CLI needs -f without a TTY; --json result', async () => {
  const root = copy('cli');
  const noScope = await runCli(['gc', '-f'], { cwd: root });
  assert.equal(noScope.code, 254);
  assert.match(noScope.stderr, /hint: use one of -w/);
  const noForce = await runCli(['gc', '-w'], { cwd: root });
  assert.equal(noForce.code, 254);
  assert.match(noForce.stderr, /-f\/--force/);
  assert.equal(present(root).size, all.length);
  const dry = await runCli(['gc', '-w', '--dry'], { cwd: root });
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /Removed 8 objects from repo cache\.\nRemoved 8 objects from local cache\./); // DVC's dry-run wording
  assert.match(dry.stderr, /Would remove 1 objects only experiments used/);
  const r = await runCli(['gc', '-w', '-f', '--json'], { cwd: root });
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.removed.length, 8);
  assert.equal(j.runCacheEntriesWithoutOutputs, 1);
  const again = await runCli(['gc', '-w', '-f'], { cwd: root });
  assert.match(again.stdout, /No unused 'local' cache to remove/);
});

test('gc killed with SIGKILL at random points never removes a kept object and completes on rerun', { timeout: 900_000 }, async () => {
  const root = copy('crash');
  const cache = join(root, '.dvc', 'cache');
  const keep = new Set(['a1', 'a2', 'd', 'x', 'y', 'c1', 'e1'].map((n) => O[n]!));
  let partial = 0;
  let kills = 0;
  // 20 kills (the figure) under CI=true, 6 otherwise; CRASH_ROUNDS overrides.
  const rounds = Number(process.env.CRASH_ROUNDS ?? (process.env.CI === 'true' ? 20 : 6));
  let junk: string[] = [];
  for (let round = 0; round < rounds; round++) {
    // 2,500 unreferenced objects so the removal phase has work to interrupt: topped up to 2,500 (a
    // kill before the removal phase leaves the previous round's; writing 2,500 more each time only
    // grew the cache and the file's run time)
    const had = new Set(listCacheObjects(cache).objects.map((o) => o.oid));
    junk = junk.filter((o) => had.has(o));
    for (let i = 0; junk.length < 2500; i++) junk.push(storeObject(cache, `junk-${round}-${i}`));
    const before = listCacheObjects(cache).objects.length;
    assert.ok(before >= keep.size + 2500, `round ${round}: ${before} objects`);
    const child = spawn(process.execPath, [BIN, 'gc', '-A', '-f', '--wait-for-lock'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CI: 'true' } });
    // listened for from the start: 'close' can follow 'exit' in the same turn, before an await
    // after the exit could attach a listener (the test then waited on nothing and Node ended it)
    const closed = new Promise((r) => child.on('close', r));
    const early = round % 3 === 0;
    const killed = await new Promise<boolean>((res) => {
      let t: NodeJS.Timeout | undefined;
      const arm = (ms: number) => { if (!t) t = setTimeout(() => { child.kill('SIGKILL'); res(true); }, ms); };
      if (early) arm(200 + Math.floor(Math.random() * 1200));
      child.stderr!.setEncoding('utf8').on('data', (d: string) => { if (/removing/.test(d)) arm(Math.floor(Math.random() * 40)); });
      child.on('exit', () => { if (t) clearTimeout(t); res(false); });
    });
    await closed;
    if (killed) kills++;
    const listing = listCacheObjects(cache).objects;
    const now = new Set(listing.map((o) => o.oid));
    if (killed && now.size < before && now.size > keep.size) partial++;
    for (const k of keep) {
      assert.ok(now.has(k), `kept object ${k} lost after a kill in round ${round}`);
      assert.equal(md5(readFileSync(objPath(cache, k))), k.replace('.dir', ''));
    }
    // Only unreferenced objects may be gone, never a partially written one.
    for (const o of listing) assert.equal(o.mode, 0o444);
  }
  assert.ok(kills >= 2, `only ${kills} kills happened`);
  assert.ok(partial >= 1, 'no kill landed inside the removal phase');
  const final = await runCli(['gc', '-A', '-f'], { cwd: root });
  assert.equal(final.code, 0, final.stderr);
  assert.deepEqual([...present(root)].sort(), [...keep].sort());
  assert.deepEqual(readdirSync(join(root, '.dvc', 'tmp', 'geodvc-lock')).filter((n) => n !== 'guard'), []);
});

test('gc keeps the outputs of stages in subdirectory dvc.yaml files (sub/dvc.lock), in the workspace and at revisions', async () => {
  const root = join(tmp.dir, 'sub-stages');
  mkdirSync(join(root, 'sub'), { recursive: true });
  gitInit(root);
  initRepo(root);
  const cache = join(root, '.dvc', 'cache');
  const lock = (oid: string) => `schema: '2.0'\nstages:\n  make:\n    cmd: echo > out.txt\n    outs:\n    - path: out.txt\n      hash: md5\n      md5: ${oid}\n      size: 3\n`;
  writeFileSync(join(root, 'sub', 'dvc.yaml'), 'stages:\n  make:\n    cmd: echo > out.txt\n    outs:\n    - out.txt\n');
  const o1 = storeObject(cache, 'o1\n');
  writeFileSync(join(root, 'sub', 'dvc.lock'), lock(o1));
  commitAll(root, 'stage in sub/ with o1');
  const o2 = storeObject(cache, 'o2\n');
  writeFileSync(join(root, 'sub', 'dvc.lock'), lock(o2)); // the workspace moved on, not committed
  const junk = storeObject(cache, 'junk\n');
  const repo = await openRepo(root);
  await gc(repo, { workspace: true, revs: ['HEAD'] });
  assert.deepEqual([...present(root)].sort(), [o1, o2].sort(), 'o1 (HEAD) and o2 (workspace) kept, only the junk removed');
  assert.ok(!present(root).has(junk));
  await gc(repo, { workspace: true });
  assert.deepEqual([...present(root)], [o2], 'gc -w keeps the workspace stage output of sub/dvc.lock');
});
