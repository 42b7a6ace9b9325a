import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dumpRuamelYaml, pyFloatRepr, yamlFloat, parseLock, serializeLock } from './lock.js';
import { PyFloat } from '../../lib/pyjson.js';

test('scalar styles follow ruamel: plain, single quotes for non-str lookalikes, double quotes with a quote', () => {
  const out = dumpRuamelYaml({ a: '2.0', b: 'true', c: '123', d: '', e: 'yes', f: `echo '{"x": 1}' > m.json`, g: 'EPSG:32633', h: '- x', i: 'a: b', j: '#c', k: 'null', l: '2024-01-02', m: "it's" });
  assert.equal(out, `a: '2.0'\nb: 'true'\nc: '123'\nd: ''\ne: yes\nf: "echo '{\\"x\\": 1}' > m.json"\ng: EPSG:32633\nh: '- x'\ni: 'a: b'\nj: '#c'\nk: 'null'\nl: '2024-01-02'\nm: it's\n`);
});

test('long plain scalars fold at 80 columns, continuation indented under the key', () => {
  const cmd = 'echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb cccccccccccccccc > out_long.txt';
  assert.equal(dumpRuamelYaml({ stages: { long: { cmd } } }),
    'stages:\n  long:\n    cmd: echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n      cccccccccccccccc > out_long.txt\n');
});

test('numbers: Python float repr, ruamel 1.0e-05 form, integral floats stay floats', () => {
  assert.equal(pyFloatRepr(0.1), '0.1');
  assert.equal(pyFloatRepr(1e-5), '1e-05');
  assert.equal(pyFloatRepr(1e16), '1e+16');
  assert.equal(pyFloatRepr(123456.5), '123456.5');
  assert.equal(pyFloatRepr(0.0001), '0.0001');
  assert.equal(yamlFloat(1e-5), '1.0e-05');
  assert.equal(yamlFloat(2.5e20), '2.5e+20');
  assert.equal(dumpRuamelYaml({ a: new PyFloat(1), b: 3, c: true, d: null, e: [], f: {} }), 'a: 1.0\nb: 3\nc: true\nd:\ne: []\nf: {}\n');
});

test('sequences are not indented; mappings in sequences start after the dash', () => {
  assert.equal(dumpRuamelYaml({ deps: [{ path: 'a', md5: 'x' }, 'b', [1, 2]] }), 'deps:\n- path: a\n  md5: x\n- b\n- - 1\n  - 2\n');
});

test('lock entries: key order, deps/outs sorted, params.yaml first', () => {
  const text = serializeLock({
    extra: {},
    stages: new Map([['s', {
      cmd: 'run',
      outs: [{ size: 1, md5: 'b', hash: 'md5', path: 'z' }, { path: 'a', hash: 'md5', md5: 'c.dir', size: 2, nfiles: 1 }],
      params: { 'b.json': { y: 1, x: 2 }, 'params.yaml': { lr: new PyFloat(1) } },
      deps: [{ path: 'd2', hash: 'md5', md5: 'e', size: 3 }, { path: 'd1', hash: 'md5', md5: 'f', size: 4 }],
    }]]),
  });
  assert.equal(text, `schema: '2.0'\nstages:\n  s:\n    cmd: run\n    deps:\n    - path: d1\n      hash: md5\n      md5: f\n      size: 4\n    - path: d2\n      hash: md5\n      md5: e\n      size: 3\n    params:\n      params.yaml:\n        lr: 1.0\n      b.json:\n        x: 2\n        y: 1\n    outs:\n    - path: a\n      hash: md5\n      md5: c.dir\n      size: 2\n      nfiles: 1\n    - path: z\n      hash: md5\n      md5: b\n      size: 1\n`);
  assert.equal(serializeLock(parseLock(text)), text);
});

test('a DVC 1 lock without schema is refused with a hint', () => {
  assert.throws(() => parseLock('stage:\n  cmd: x\n'), /DVC 1\.x/);
});

test('dvc.lock deps and outs inside .git/.dvc are refused (issue 17)', () => {
  const lock = (kind: string, p: string) => `schema: '2.0'\nstages:\n  s:\n    cmd: x\n    ${kind}:\n    - path: ${p}\n      hash: md5\n      md5: acbd18db4cc2f85cedef654fccc4a4d8\n`;
  for (const [k, p] of [['outs', '.git/hooks/pre-commit'], ['deps', '.GIT/config'], ['outs', 'x/.dvc/y']]) {
    assert.throws(() => parseLock(lock(k!, p!)), (e: any) => e.code === 'reserved-path' && e.message.includes(p!), p);
  }
  assert.equal(parseLock(lock('outs', 'model.pkl')).stages.get('s')!.outs![0]!.path, 'model.pkl');
});
