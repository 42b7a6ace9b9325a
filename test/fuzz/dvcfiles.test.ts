/**
 * Fuzz: the parsers of DVC files (owned by the data, repo and pipeline engineers; this file only
 * checks them): `.dvc`, `.dir` manifests, dvc.yaml, dvc.lock, params, `.dvc/config`. Each gets
 * FUZZ_RUNS cases of random text, mutated golden files and structured documents with escape-path
 * values. Properties: no crash (only AppError), bounded time, and nothing accepted leads outside.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { stringify } from 'yaml';
import { GOLDENS } from '../helpers/cli.js';
import { parseDvcFile } from '../../src/core/dvcfile/dvcfile.js';
import { parseDvcYaml } from '../../src/core/dvcfile/dvcyaml.js';
import { parseLock } from '../../src/core/dvcfile/lock.js';
import { parseParamsText } from '../../src/core/dvcfile/params.js';
import { parseTree } from '../../src/core/odb/tree.js';
import { parseIni } from '../../src/core/repo/ini.js';
import { check, mutated, nastyPath, params, tolerate } from './_fuzz.js';

const ROOT = '/nonexistent-fuzz-root/repo';
const isInside = (root: string, p: string) => { const r = relative(root, resolve(root, p)); return r === '' || (r !== '..' && !r.startsWith(`..${sep}`) && !isAbsolute(r)); };
const golden = (rel: string) => { try { return readFileSync(join(GOLDENS, rel), 'utf8'); } catch { return undefined; } };
const seedsOf = (...rels: string[]) => { const s = rels.map(golden).filter((x): x is string => !!x); return s.length ? s : ['a: 1\n']; };

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
const outEntry = fc.record({ md5: fc.oneof(hex(32), fc.string({ maxLength: 34 })), size: fc.oneof(fc.nat(), fc.integer(), fc.double(), fc.string()), hash: fc.constantFrom('md5', 'sha256', 'xxh128', 'bogus', undefined), path: nastyPath, nfiles: fc.option(fc.nat()) }, { requiredKeys: ['path'] });

test('.dvc files: no crash, every accepted out path stays inside the .dvc dir', { timeout: 120_000 }, () => {
  const seeds = seedsOf('02-files/foo.dvc', '02-files/bar.txt.dvc', '03-directory/imagery-v2.dvc', '02-files/crlf.txt.dvc');
  const arb = fc.oneof(
    { weight: 2, arbitrary: mutated(seeds) },
    { weight: 2, arbitrary: fc.record({ outs: fc.array(outEntry, { maxLength: 3 }) }).map((v) => stringify(v)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  );
  const file = join(ROOT, 'sub', 'x.dvc');
  check(fc.property(arb, (text) => {
    const f = tolerate(() => parseDvcFile(text, file), 'parseDvcFile');
    if (f) for (const o of f.outs) assert.ok(isInside(dirname(file), o.absPath) && !o.path.includes('\u0000'), `accepted escaping out ${JSON.stringify(o.path)}`);
  }), params());
});

test('.dir manifests: no crash, every accepted relpath is a safe relative path', { timeout: 120_000 }, () => {
  const dirSeed = golden('03-directory/dir-objects/658f4336679a7c1b3860e17effa0090f.dir') ?? '[{"md5": "acbd18db4cc2f85cedef654fccc4a4d8", "relpath": "foo"}]';
  const entry = fc.record({ md5: fc.oneof(hex(32), fc.string({ maxLength: 33 })), relpath: fc.oneof(nastyPath, fc.string({ maxLength: 30 })), size: fc.option(fc.integer()), isexec: fc.option(fc.boolean()) }, { requiredKeys: [] });
  const arb = fc.oneof(
    fc.array(entry, { maxLength: 5 }).map((e) => JSON.stringify(e)),
    mutated([dirSeed]),
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 100 }),
  );
  check(fc.property(arb, (text) => {
    const t = tolerate(() => parseTree(text, 'md5'), 'parseTree');
    if (t) for (const e of t.entries) {
      assert.ok(isInside(ROOT, e.relpath) && resolve(ROOT, e.relpath) !== ROOT, `accepted ${JSON.stringify(e.relpath)}`);
      assert.ok(!e.relpath.includes('\u0000') && !e.relpath.includes('\\') && !e.relpath.startsWith('/') && !/^[A-Za-z]:/.test(e.relpath));
    }
  }), params());
});

test('dvc.yaml: no crash, bounded', { timeout: 120_000 }, () => {
  const seeds = seedsOf('06-pipeline/dvc.yaml');
  const stage = fc.record({ cmd: fc.oneof(fc.string({ maxLength: 20 }), fc.constant('echo ${x}')), deps: fc.array(nastyPath, { maxLength: 3 }), outs: fc.array(fc.oneof(nastyPath, fc.dictionary(nastyPath, fc.record({ cache: fc.boolean() }), { maxKeys: 1 })), { maxLength: 3 }), wdir: nastyPath, params: fc.array(fc.string({ maxLength: 8 }), { maxLength: 2 }) }, { requiredKeys: ['cmd'] });
  const arb = fc.oneof(
    { weight: 2, arbitrary: mutated(seeds) },
    { weight: 2, arbitrary: fc.record({ stages: fc.dictionary(fc.stringMatching(/^[a-z_@0-9]{1,8}$/), stage, { maxKeys: 3 }), vars: fc.option(fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 2 })) }).map((v) => stringify(v)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  );
  check(fc.property(arb, (text) => { tolerate(() => parseDvcYaml(text, join(ROOT, 'dvc.yaml'), ROOT), 'parseDvcYaml'); }), params());
});

test('dvc.lock: no crash, bounded', { timeout: 120_000 }, () => {
  const seeds = seedsOf('06-pipeline/dvc.lock');
  const lockEntry = fc.record({ path: nastyPath, md5: hex(32), size: fc.nat(), hash: fc.constant('md5') });
  const arb = fc.oneof(
    { weight: 2, arbitrary: mutated(seeds) },
    { weight: 2, arbitrary: fc.record({ schema: fc.constantFrom('2.0', 2, '1.0'), stages: fc.dictionary(fc.stringMatching(/^[a-z_]{1,6}$/), fc.record({ cmd: fc.string({ maxLength: 10 }), deps: fc.array(fc.oneof(lockEntry, fc.constant(null), fc.string()), { maxLength: 2 }), outs: fc.array(fc.oneof(lockEntry, fc.constant(null)), { maxLength: 2 }) }), { maxKeys: 2 }) }).map((v) => stringify(v)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  );
  check(fc.property(arb, (text) => { tolerate(() => parseLock(text, 'dvc.lock'), 'parseLock'); }), params());
});

test('params files (yaml/json/toml/py): no crash, bounded', { timeout: 120_000 }, () => {
  const seeds = seedsOf('06-pipeline/params.yaml', '06-pipeline/conf.toml');
  const arb = fc.tuple(fc.constantFrom('params.yaml', 'params.json', 'conf.toml', 'params.py'), fc.oneof(mutated([...seeds, 'LR = 0.1\nLAYERS = [1, (2, 3)]\nNAME = "x"\n', '{"a": {"b": [1, 2.0]}}']), fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)), fc.string({ maxLength: 120 })));
  check(fc.property(arb, ([name, text]) => { tolerate(() => parseParamsText(text, name), `parseParamsText(${name})`); }), params());
});

test('.dvc/config (configobj INI): no crash', { timeout: 120_000 }, () => {
  const seeds = ['[core]\n    remote = rel\n[cache]\n    type = "reflink,hardlink,copy"\n[\'remote "rel"\']\n    url = ../../remote-rel\n    jobs = 4\n', "['remote \"s3\"']\n    url = s3://bucket/path\n    secret_access_key = abc\n"];
  check(fc.property(fc.oneof(mutated(seeds), fc.string({ maxLength: 200 })), (text) => { tolerate(() => parseIni(text, 'config'), 'parseIni'); }), params());
});
