/** Bad input to the pipeline: each gets a clear error, and dvc.lock and earlier outputs survive. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir, gitInit, writeTree } from '../helpers/tmp.js';
import { reproduce } from '../../src/core/api/repro.js';
import { AppError } from '../../src/lib/errors.js';

function repo(files: Record<string, string>): { dir: string; cleanup: () => void } {
  const t = makeTmpDir('geodvc-pl-err-');
  gitInit(t.dir);
  mkdirSync(join(t.dir, '.dvc'));
  writeFileSync(join(t.dir, '.dvc', 'config'), '');
  writeTree(t.dir, files);
  return t;
}

async function rejects(p: Promise<unknown>, code: string, re: RegExp): Promise<AppError> {
  try { await p; } catch (e) {
    assert.ok(e instanceof AppError, `expected AppError, got ${e}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    assert.ok(e.hint, 'error has a hint');
    return e;
  }
  assert.fail('expected an error');
}

test('a cycle is named', async () => {
  const { dir, cleanup } = repo({ 'dvc.yaml': 'stages:\n  a:\n    cmd: cp b.txt a.txt\n    deps: [b.txt]\n    outs: [a.txt]\n  b:\n    cmd: cp c.txt b.txt\n    deps: [c.txt]\n    outs: [b.txt]\n  c:\n    cmd: cp a.txt c.txt\n    deps: [a.txt]\n    outs: [c.txt]\n' });
  try { await rejects(reproduce({ cwd: dir }), 'pipeline-cycle', /cycle: (a -> c -> b -> a|b -> a -> c -> b|c -> b -> a -> c)/); } finally { cleanup(); }
});

test('two stages with one output', async () => {
  const { dir, cleanup } = repo({ 'dvc.yaml': 'stages:\n  a:\n    cmd: echo 1 > o.txt\n    outs: [o.txt]\n  b:\n    cmd: echo 2 > o.txt\n    outs: [o.txt]\n' });
  try { await rejects(reproduce({ cwd: dir }), 'out-duplicated', /'o\.txt' is specified in stages 'a' and 'b'/); } finally { cleanup(); }
});

test('an output overlapping a .dvc-tracked out', async () => {
  const { dir, cleanup } = repo({
    'dvc.yaml': 'stages:\n  a:\n    cmd: mkdir -p data/x && echo 1 > data/x/o.txt\n    outs: [data/x]\n',
    'data.dvc': 'outs:\n- md5: 202c93e77976267af103982ba7b07cb3.dir\n  size: 9\n  nfiles: 3\n  hash: md5\n  path: data\n',
  });
  try { await rejects(reproduce({ cwd: dir }), 'out-overlaps-dvc', /overlaps 'data' tracked by 'data\.dvc'/); } finally { cleanup(); }
});

test('a missing dependency', async () => {
  const { dir, cleanup } = repo({ 'dvc.yaml': 'stages:\n  a:\n    cmd: cp in.txt o.txt\n    deps: [in.txt]\n    outs: [o.txt]\n' });
  try {
    const r = await reproduce({ cwd: dir, keepGoing: true });
    assert.equal(r.failed.length, 1);
    const [f] = r.failed;
    assert.ok(f);
    assert.equal(f.error.code, 'missing-dep');
    assert.match(f.error.message, /dependency 'in\.txt' does not exist/);
  } finally { cleanup(); }
});

test('a failing command: exit code and output tail, lock and earlier outputs unchanged', async () => {
  const { dir, cleanup } = repo({
    'dvc.yaml': 'stages:\n  first:\n    cmd: cp in.txt mid.txt\n    deps: [in.txt]\n    outs: [mid.txt]\n  second:\n    cmd: cp mid.txt out.txt\n    deps: [mid.txt]\n    outs: [out.txt]\n',
    'in.txt': 'hello',
  });
  try {
    await reproduce({ cwd: dir });
    const lock = readFileSync(join(dir, 'dvc.lock'), 'utf8');
    writeFileSync(join(dir, 'dvc.yaml'), readFileSync(join(dir, 'dvc.yaml'), 'utf8').replace('cp mid.txt out.txt', 'echo working on it; echo boom >&2; exit 3'));
    const e = await rejects(reproduce({ cwd: dir }), 'stage-failed', /'second'.*exited with code 3[\s\S]*boom/);
    assert.equal(e.details?.exitCode, 3);
    assert.match(String(e.details?.tail), /working on it\nboom/);
    assert.equal(readFileSync(join(dir, 'dvc.lock'), 'utf8'), lock);
    assert.equal(readFileSync(join(dir, 'mid.txt'), 'utf8'), 'hello');
  } finally { cleanup(); }
});

test('an unknown param', async () => {
  const { dir, cleanup } = repo({ 'dvc.yaml': 'stages:\n  a:\n    cmd: echo x > o.txt\n    params: [tile_sise]\n    outs: [o.txt]\n', 'params.yaml': 'tile_size: 512\n' });
  try {
    const r = await reproduce({ cwd: dir, keepGoing: true });
    const [f] = r.failed;
    assert.ok(f, 'the stage failed');
    assert.equal(f.error.code, 'missing-params');
    assert.match(f.error.message, /Parameters 'tile_sise' are missing from 'params\.yaml'/);
    assert.ok(!existsSync(join(dir, 'dvc.lock')));
  } finally { cleanup(); }
});

test('invalid YAML reports line and column', async () => {
  const { dir, cleanup } = repo({ 'dvc.yaml': 'stages:\n  a:\n    cmd: echo x\n    deps: [a, b\n    outs: [o]\n' });
  try { await rejects(reproduce({ cwd: dir }), 'invalid-file', /^dvc\.yaml:\d+:\d+: invalid YAML/); } finally { cleanup(); }
});

test('schema errors and interpolation errors name the place', async () => {
  const { dir, cleanup } = repo({ 'dvc.yaml': 'stages:\n  a:\n    cmd: echo x\n    dpes: [a]\n' });
  try { await rejects(reproduce({ cwd: dir }), 'invalid-file', /^dvc\.yaml:4:5: unknown stage key 'dpes'/); } finally { cleanup(); }
  const t2 = repo({ 'dvc.yaml': 'stages:\n  a:\n    cmd: echo ${nope}\n' });
  try { await rejects(reproduce({ cwd: t2.dir }), 'invalid-file', /dvc\.yaml:2:\d+: .*could not find 'nope'/); } finally { t2.cleanup(); }
});

test('abort during repro stops the command and leaves the lock valid', async () => {
  const { dir, cleanup } = repo({
    'dvc.yaml': 'stages:\n  fast:\n    cmd: cp in.txt a.txt\n    deps: [in.txt]\n    outs: [a.txt]\n  slow:\n    cmd: sleep 30 && cp a.txt b.txt\n    deps: [a.txt]\n    outs: [b.txt]\n',
    'in.txt': 'x',
  });
  try {
    const ac = new AbortController();
    const started = Date.now();
    const p = reproduce({ cwd: dir, signal: ac.signal, onStage: (e) => { if (e.stage === 'slow' && e.action === 'start') setTimeout(() => ac.abort(), 300); } });
    await rejects(p, 'interrupted', /interrupted/);
    assert.ok(Date.now() - started < 10_000, 'the command was stopped');
    const lock = readFileSync(join(dir, 'dvc.lock'), 'utf8');
    assert.match(lock, /^schema: '2\.0'\nstages:\n  fast:/);
    assert.doesNotMatch(lock, /slow/);
    assert.ok(!existsSync(join(dir, 'b.txt')));
  } finally { cleanup(); }
});

test('a second repro while one runs is refused by the repository lock', async () => {
  const { dir, cleanup } = repo({ 'dvc.yaml': 'stages:\n  slow:\n    cmd: sleep 6 && cp in.txt o.txt\n    deps: [in.txt]\n    outs: [o.txt]\n', 'in.txt': 'x' });
  try {
    const first = reproduce({ cwd: dir });
    await new Promise((r) => setTimeout(r, 500));
    await rejects(reproduce({ cwd: dir }), 'locked', /lock/i);
    assert.deepEqual((await first).ran, ['slow']);
  } finally { cleanup(); }
});
