/**
 * dist/vendor/yaml.js (scripts/build-dist.mjs): the `yaml` package bundled into one ES module, which
 * the compiled modules import instead of the package's ~80 CommonJS files. It must export every
 * name the sources import from 'yaml', behave as the package does, and be what dist/ imports.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as pkg from 'yaml';
import { REPO_ROOT } from '../helpers/cli.js';

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

test('dist/vendor/yaml.js: every name the sources import, the package behaviour, and dist/ uses it', async () => {
  const vendored = await import(pathToFileURL(join(REPO_ROOT, 'dist', 'vendor', 'yaml.js')).href) as typeof pkg;
  // the value names imported from 'yaml' anywhere in src/
  const names = new Set<string>();
  for (const f of walk(join(REPO_ROOT, 'src')).filter((p) => p.endsWith('.ts') && !p.endsWith('.test.ts'))) {
    for (const m of readFileSync(f, 'utf8').matchAll(/import\s*\{([^}]*)\}\s*from\s*'yaml'/g)) {
      for (const part of m[1]!.split(',')) {
        const n = part.trim();
        if (n && !n.startsWith('type ')) names.add(n.split(/\s+as\s+/)[0]!);
      }
    }
  }
  assert.ok(names.size >= 10, `names imported from yaml: ${[...names].join(', ')}`);
  for (const n of names) assert.equal(typeof (vendored as any)[n], typeof (pkg as any)[n], `vendor exports ${n}`);
  // same answers as the package
  const docs = [
    'outs:\n- md5: 0123456789abcdef0123456789abcdef\n  size: 5\n  hash: md5\n  path: a.txt\n',
    'stages:\n  train:\n    cmd: python train.py ${lr}\n    deps: [a, b]\n    params:\n    - lr\n    outs:\n    - model.pkl:\n        cache: false\n',
    'a: &x [1, 2.5, "three", null, true]\nb: *x\nc: |\n  block\n  text\n',
  ];
  for (const d of docs) {
    assert.deepEqual(vendored.parse(d), pkg.parse(d));
    assert.equal(vendored.parseDocument(d).toString(), pkg.parseDocument(d).toString());
    assert.equal(vendored.stringify(vendored.parse(d)), pkg.stringify(pkg.parse(d)));
  }
  assert.throws(() => vendored.parse('a: [1,\n'), (e: unknown) => e instanceof vendored.YAMLParseError);
  // the compiled modules import the bundle, never the package
  const compiled = walk(join(REPO_ROOT, 'dist')).filter((p) => p.endsWith('.js') && !p.includes(join('dist', 'vendor')));
  const users = compiled.filter((p) => readFileSync(p, 'utf8').includes('vendor/yaml.js'));
  assert.ok(users.length >= 5, `${users.length} compiled modules import dist/vendor/yaml.js`);
  const stray = compiled.filter((p) => /\bfrom\s*['"]yaml['"]/.test(readFileSync(p, 'utf8'))).map((p) => relative(REPO_ROOT, p));
  assert.deepEqual(stray, [], 'no compiled module imports the yaml package itself');
});
