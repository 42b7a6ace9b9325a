import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir, writeTree } from '../../../test/helpers/tmp.js';
import { walkDir } from './walk.js';
import { guardPlans, type OutPlan } from './checkout.js';
import type { DvcOut } from '../dvcfile/dvcfile.js';

test('walkDir never lists .git/.dvc in any spelling, files (a submodule\'s .git) or directories (issue 17)', () => {
  const t = makeTmpDir();
  try {
    writeTree(t.dir, {
      'd/ok.txt': 'x', 'd/sub/.git': 'gitdir: ../../.git/modules/sub\n', 'd/.GIT/config': 'x', 'd/git~1/x': 'x',
      'd/.dvc/config': 'x', 'd/.Dvc./x': 'x', 'd/.github/ci.yml': 'x', 'd/.gitignore': 'x', 'd/x.dvc': 'x',
    });
    const rels = walkDir(join(t.dir, 'd'), { repoRel: 'd' }).map((f) => f.rel).sort();
    assert.deepEqual(rels, ['.github/ci.yml', '.gitignore', 'ok.txt', 'x.dvc']);
  } finally { t.cleanup(); }
});

const plan = (root: string, out: string, dests: string[], remove: string[] = []): OutPlan => ({
  out: { path: out, absPath: join(root, out), hashName: 'md5', oid: 'acbd18db4cc2f85cedef654fccc4a4d8.dir', cache: true, push: true, raw: {} } as DvcOut,
  hashName: 'md5', link: dests.map((d) => ({ dest: join(root, out, d), oid: 'acbd18db4cc2f85cedef654fccc4a4d8', exists: false, rel: d })),
  remove: remove.map((r) => join(root, out, r)), unsaved: [], missing: [], unchanged: 0,
});

test('guardPlans: writes and deletes through a link into .git or out of the repo are refused, ordinary ones pass (issue 17)', () => {
  const t = makeTmpDir();
  try {
    const root = join(t.dir, 'repo');
    mkdirSync(join(root, '.git', 'hooks'), { recursive: true });
    mkdirSync(join(root, 'data', 'real'), { recursive: true });
    mkdirSync(join(t.dir, 'outside'));
    symlinkSync('.git/hooks', join(root, 'hk'));
    symlinkSync(join(t.dir, 'outside'), join(root, 'data', 'out'));
    symlinkSync('real', join(root, 'data', 'inner'));
    guardPlans(root, [plan(root, 'data', ['a/b.tif', 'inner/c.tif'])]);
    guardPlans(root, [plan(root, 'hk', [])]); // the link itself may be replaced by a rename
    assert.throws(() => guardPlans(root, [plan(root, 'hk', ['pre-commit'])]), (e: any) => e.code === 'reserved-path' && /symlink/.test(e.message));
    assert.throws(() => guardPlans(root, [plan(root, 'hk', [], ['pre-commit.sample'])]), (e: any) => e.code === 'reserved-path');
    assert.throws(() => guardPlans(root, [plan(root, 'data', ['out/x'])]), (e: any) => e.code === 'unsafe-path' && /outside/.test(e.message));
    assert.throws(() => guardPlans(root, [plan(root, 'data', ['.GIT/config'])]), (e: any) => e.code === 'reserved-path');
    assert.throws(() => guardPlans(root, [plan(root, '.git', ['config'])]), (e: any) => e.code === 'reserved-path');
  } finally { t.cleanup(); }
});
