import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIni, stringifyIni, quoteIni } from './ini.js';
import { GOLDENS } from '../../../test/helpers/cli.js';

test('quoting follows configobj', () => {
  assert.equal(quoteIni('plain'), 'plain');
  assert.equal(quoteIni('hardlink,symlink'), '"hardlink,symlink"');
  assert.equal(quoteIni(''), '""');
  assert.equal(quoteIni(' lead'), '" lead"');
  assert.equal(quoteIni('remote "x"'), `'remote "x"'`);
  assert.equal(quoteIni('a#b'), '"a#b"');
  assert.equal(quoteIni('~/.aws/credentials'), '~/.aws/credentials');
});

for (const name of ['config', 'config.local']) {
  test(`golden 05-config/.dvc/${name} round-trips byte for byte`, () => {
    const text = readFileSync(join(GOLDENS, '05-config', '.dvc', name), 'utf8');
    const data = parseIni(text);
    assert.equal(stringifyIni(data), text);
  });
}

test('parses the golden into sections and keys', () => {
  const data = parseIni(readFileSync(join(GOLDENS, '05-config', '.dvc', 'config'), 'utf8'));
  assert.deepEqual(data, {
    core: { remote: 'geospatial-remote', autostage: 'true' },
    cache: { type: 'hardlink,symlink' },
    'remote "geospatial-remote"': { url: 's3://your-bucket-name/dvc-data', credentialpath: '~/.aws/credentials', jobs: '10' },
    'remote "backup"': { url: '/srv/dvc-backup' },
  });
});

test('reads comments, bare lists, inline comments, upper-case keys; named sections go last', () => {
  const data = parseIni(`# top\n['remote "r"']\n  URL = /x # c\n[Cache]\ntype = reflink, copy\n[core]\n    remote = 'r'\n`);
  assert.deepEqual(data, { 'remote "r"': { url: '/x' }, cache: { type: 'reflink,copy' }, core: { remote: 'r' } });
  assert.equal(stringifyIni(data), `[cache]\n    type = "reflink,copy"\n[core]\n    remote = r\n['remote "r"']\n    url = /x\n`);
});

test('empty sections are dropped, empty data writes nothing', () => {
  assert.equal(stringifyIni({ core: {} }), '');
  assert.equal(stringifyIni({}), '');
});

test('a broken line is an error naming the file and line', () => {
  assert.throws(() => parseIni('[core\n', 'f'), /f:1/);
  assert.throws(() => parseIni('[core]\nnovalue\n', 'f'), /f:2/);
});
