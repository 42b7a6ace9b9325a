import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDvcYaml, stageAddress } from './dvcyaml.js';
import { interpolateString, toStr } from './interpolate.js';
import { parseParamsText, getDotted, loadPy, paramEqual } from './params.js';
import { PyFloat } from '../../lib/pyjson.js';

function withDir(files: Record<string, string>, fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'geodvc-dvcyaml-'));
  try { for (const [k, v] of Object.entries(files)) writeFileSync(join(dir, k), v); fn(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

test('interpolation: native type for a whole ${x}, to_str inside strings, escapes', () => {
  const ctx = { a: 1, f: new PyFloat(2), b: true, l: [1, 'x'], d: { k: 'v', on: true, off: false }, n: { m: [{ z: 'deep' }] } };
  assert.equal(interpolateString('${a}', ctx, 'w'), 1);
  assert.equal(interpolateString('x${a}-${b}', ctx, 'w'), 'x1-true');
  assert.equal(interpolateString('${f}/${l}', ctx, 'w'), '2.0/1 x');
  assert.equal(interpolateString('run ${d}', ctx, 'w'), 'run --k v --on --no-off');
  assert.equal(interpolateString('${n.m[0].z}', ctx, 'w'), 'deep');
  assert.equal(interpolateString('\\${a} ${a}', ctx, 'w'), '${a} 1');
  assert.throws(() => interpolateString('${missing.key}', ctx, 'w'), /could not find 'missing'/);
  assert.equal(toStr(0.5), '0.5');
});

test('foreach over a list, a dict and a list of dicts; matrix cartesian product with composite keys', () => {
  withDir({ 'params.yaml': 'sizes: [256, 512]\n' }, (dir) => {
    const y = parseDvcYaml(`stages:
  a:
    foreach: \${sizes}
    do:
      cmd: echo \${item}
  b:
    foreach: {x: {v: 1}, y: {v: 2}}
    do:
      cmd: echo \${key} \${item.v}
  c:
    foreach: [{p: 1}, {p: 2}]
    do:
      cmd: echo \${item.p}
  m:
    matrix:
      t: [t1, t2]
      r: [10, 20]
      o: [{k: 1}]
    cmd: echo \${item.t} \${item.r} \${key}
`, join(dir, 'dvc.yaml'), dir);
    assert.deepEqual(y.stages.map(stageAddress), ['a@256', 'a@512', 'b@x', 'b@y', 'c@0', 'c@1', 'm@t1-10-o0', 'm@t1-20-o0', 'm@t2-10-o0', 'm@t2-20-o0']);
    assert.equal(y.stages[3]?.cmd, 'echo y 2');
    assert.equal(y.stages[7]?.cmd, 'echo t1 20 t1-20-o0');
  });
});

test('vars: files with key selection and inline mappings; stage vars; outs flags; params forms', () => {
  withDir({ 'v.yaml': 'size: 64\nother: 1\n', 'params.yaml': 'lr: 0.1\n' }, (dir) => {
    const y = parseDvcYaml(`vars:
  - v.yaml:size
  - {name: run}
stages:
  s:
    vars:
      - {extra: e}
    cmd: echo \${size} \${name} \${extra} \${lr}
    params:
    - lr
    - other.json: [a, b]
    - whole.toml:
    outs:
    - o.txt:
        persist: true
        cache: false
    metrics:
    - m.json:
        cache: false
`, join(dir, 'dvc.yaml'), dir);
    const s = y.stages[0];
    assert.ok(s, 'one stage parsed');
    assert.equal(s.cmd, 'echo 64 run e 0.1');
    assert.deepEqual(s.params, [{ file: 'params.yaml', keys: ['lr'] }, { file: 'other.json', keys: ['a', 'b'] }, { file: 'whole.toml', keys: null }]);
    assert.deepEqual(s.outs.map((o) => [o.path, o.kind, o.cache, o.persist]), [['o.txt', 'outs', false, true], ['m.json', 'metrics', false, false]]);
    assert.throws(() => parseDvcYaml('vars:\n  - v.yaml:other2\nstages: {}\n', join(dir, 'dvc.yaml'), dir), /key 'other2' not found/);
  });
});

test('schema errors carry line and column; duplicate keys are YAML errors', () => {
  withDir({}, (dir) => {
    assert.throws(() => parseDvcYaml('stages:\n  s:\n    deps: [a]\n', join(dir, 'dvc.yaml'), dir), /dvc\.yaml:2:3: stage 's' has no 'cmd'/);
    assert.throws(() => parseDvcYaml('stages:\n  s:\n    cmd: x\n    outs:\n    - a: {cash: false}\n', join(dir, 'dvc.yaml'), dir), /dvc\.yaml:5:7: unknown flag 'cash'/);
    assert.throws(() => parseDvcYaml('stages:\n  s:\n    cmd: x\n    cmd: y\n', join(dir, 'dvc.yaml'), dir), /dvc\.yaml:4:5: invalid YAML/);
    assert.throws(() => parseDvcYaml('stages:\n  s:\n    cmd: x\n    frozen: yes\n', join(dir, 'dvc.yaml'), dir), /'frozen' must be true or false/);
  });
});

test('params files: YAML keeps 1.0 a float, JSON, TOML, Python assignments and classes', () => {
  const y = parseParamsText('a: 1.0\nb: 1\nc: {d: [1, 2]}\n', 'params.yaml');
  assert.ok(y.a instanceof PyFloat);
  assert.equal(y.b, 1);
  assert.deepEqual(getDotted(y, 'c.d'), [1, 2]);
  assert.equal(getDotted(y, 'c.d.1'), 2);
  const j = parseParamsText('{"x": {"y": 2.0}, "s": "t"}', 'p.json');
  assert.ok((j.x as any).y instanceof PyFloat);
  const t = parseParamsText('seed = 7\n[model]\ndepth = 5\n', 'p.toml');
  assert.equal(getDotted(t, 'model.depth'), 5);
  const p = loadPy('import os\nLR = 0.5\nNAME = "x"  # comment\nLIST = [1,\n  2]\nFLAG = True\nclass Cfg:\n    depth = 3\n    def f(self):\n        pass\n', 'p.py');
  assert.deepEqual(p, { LR: 0.5, NAME: 'x', LIST: [1, 2], FLAG: true, Cfg: { depth: 3 } });
  assert.ok(paramEqual(5, new PyFloat(5)));
  assert.ok(!paramEqual([1, 2], [1, 3]));
  assert.throws(() => parseParamsText('a: [1,\n', 'params.yaml'), /params\.yaml:\d+:\d+: invalid YAML/);
});

test('dvc.yaml outs, metrics, deps, params files and wdir inside .git/.dvc are refused (issue 17)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dvcyaml-'));
  try {
    const cases = [
      'stages:\n  s:\n    cmd: x\n    outs:\n    - .git/hooks/pre-commit\n',
      'stages:\n  s:\n    cmd: x\n    metrics:\n    - .GIT/m.json: {cache: false}\n',
      'stages:\n  s:\n    cmd: x\n    deps:\n    - .git/config\n',
      'stages:\n  s:\n    cmd: x\n    wdir: .git/hooks\n    outs:\n    - pre-commit\n',
      'stages:\n  s:\n    cmd: x\n    wdir: sub\n    outs:\n    - ../.dvc/config\n',
      'stages:\n  s:\n    cmd: x\n    params:\n    - .git/config:\n      - core\n',
    ];
    for (const text of cases) {
      assert.throws(() => parseDvcYaml(text, join(dir, 'dvc.yaml'), dir), (e: any) => e.code === 'reserved-path' && /stage 's' in dvc\.yaml/.test(e.message), text);
    }
    const ok = parseDvcYaml('stages:\n  s:\n    cmd: x\n    outs:\n    - .github/out.txt\n', join(dir, 'dvc.yaml'), dir);
    assert.equal(ok.stages[0]!.outs[0]!.path, '.github/out.txt');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
