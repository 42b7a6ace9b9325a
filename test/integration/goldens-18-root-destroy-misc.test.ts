/**
 * DVC 3.64 golden 18 (test/fixtures/dvc-goldens/18-root-destroy-misc): `root`, `config -l` (all,
 * --project, --local, --show-origin), `config NAME`, `remote list`, `remote default`, the config
 * files, and `destroy -f` (what it deletes, outputs left as regular files, .gitignore kept).
 * Not compared: doctor.txt (machine-specific, informational in the golden too).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { makeTmpDir, writeTree, gitInit, git } from '../helpers/tmp.js';
import { REPO_ROOT, cliOk } from '../helpers/cli.js';
import { initRepo } from '../../src/core/repo/init.js';
import { addRemote, modifyRemote } from '../../src/core/repo/remotes.js';
import { setConfigValue } from '../../src/core/repo/config.js';
import { add } from '../../src/core/api/add.js';
import { stageAdd } from '../../src/core/api/stage.js';
import { reproduce } from '../../src/core/api/repro.js';

const G = join(REPO_ROOT, 'test', 'fixtures', 'dvc-goldens', '18-root-destroy-misc');
const golden = (f: string, tmp: string) => readFileSync(join(G, f), 'utf8').replaceAll('<TMP>', tmp);
const rcOf = (name: string) => Number(/^(\S+) (\d+)$/m.exec(readFileSync(join(G, 'rc.txt'), 'utf8').split('\n').find((l) => l.startsWith(name + ' '))!)![2]);

/** `find . | sort` without .git (and without `.dvc/tmp`, whose files are each tool's own). */
function listTree(root: string): string {
  const out = ['.'];
  const rec = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const rel = './' + relative(root, p);
      if (rel === './.git') continue;
      out.push(rel);
      if (e.isDirectory()) rec(p);
    }
  };
  rec(root);
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).join('\n') + '\n';
}
const withoutDvcTmp = (s: string) => s.split('\n').filter((l) => !l.startsWith('./.dvc/tmp')).join('\n');

test('18: root, config -l variants, remote list/default, destroy -f as DVC 3.64', async () => {
  const t = makeTmpDir('geodvc-g18-');
  try {
    const repo = join(t.dir, 'repo');
    mkdirSync(repo);
    gitInit(repo);
    const env = { GEODVC_GLOBAL_CONFIG_DIR: join(t.dir, 'dvc-global'), GEODVC_SYSTEM_CONFIG_DIR: join(t.dir, 'dvc-system') };
    Object.assign(process.env, env); // no machine config leaks into the in-process setup either
    // The setup goes through the same core calls the commands make (fewer process starts).
    initRepo(repo);
    addRemote('store', '/tmp/dvc-goldens-remote', { root: repo, cwd: repo, default: true });
    addRemote('web', 'https://example.com/dvc', { root: repo, cwd: repo });
    modifyRemote('web', 'read_timeout', '30', { root: repo, cwd: repo });
    addRemote('mine', '../mine', { root: repo, cwd: repo, level: 'local' });
    setConfigValue(repo, 'repo', 'core.autostage', 'true', { cwd: repo });
    setConfigValue(repo, 'local', 'cache.type', 'symlink', { cwd: repo });
    assert.equal(readFileSync(join(repo, '.dvc/config'), 'utf8'), golden('.dvc/config', t.dir));
    assert.equal(readFileSync(join(repo, '.dvc/config.local'), 'utf8'), golden('.dvc/config.local', t.dir));

    mkdirSync(join(repo, 'a', 'b'), { recursive: true });
    const outputs: [string, string[], string?][] = [
      ['root-from-a-b.txt', ['root'], join(repo, 'a', 'b')],
      ['root-from-top.txt', ['root']],
      ['config-l.txt', ['config', '-l']],
      ['config-l-project.txt', ['config', '-l', '--project']],
      ['config-l-local.txt', ['config', '-l', '--local']],
      ['config-l-show-origin.txt', ['config', '-l', '--show-origin']],
      ['config-get-core.autostage.txt', ['config', 'core.autostage']],
      ['remote-list.txt', ['remote', 'list']],
      ['remote-default.txt', ['remote', 'default']],
    ];
    const results = await Promise.all(outputs.map(([file, args, cwd]) => cliOk(args, { cwd: cwd ?? repo, env, expect: rcOf(file) })));
    outputs.forEach(([file], i) => assert.equal(results[i]!.stdout, golden(file, t.dir), file));

    writeTree(repo, { f: 'x', 'd/y': 'y' });
    await add({ cwd: repo, targets: ['f', 'd'] });
    stageAdd({ cwd: repo, name: 's', deps: ['f'], outs: ['o'], cmd: 'cp f o' });
    const rr = await reproduce({ cwd: repo });
    assert.deepEqual(rr.ran, ['s']);
    git(repo, 'add', '-A');
    git(repo, '-c', 'user.name=g', '-c', 'user.email=g@example.com', 'commit', '-qm', 'all');
    assert.equal(withoutDvcTmp(listTree(repo)), withoutDvcTmp(golden('files-before-destroy.txt', t.dir)));

    // without -f and without a terminal to ask on: a usage error, nothing removed
    const refused = await cliOk(['destroy'], { cwd: repo, env, expect: 254 });
    assert.match(refused.stderr, /hint: rerun with -f\/--force/);
    assert.equal(withoutDvcTmp(listTree(repo)), withoutDvcTmp(golden('files-before-destroy.txt', t.dir)));
    const d = await cliOk(['destroy', '-f'], { cwd: repo, env, expect: rcOf('destroy.txt') });
    assert.equal(d.stdout, golden('destroy.txt', t.dir));
    assert.equal(listTree(repo), golden('files-after-destroy.txt', t.dir));
    for (const line of golden('after-destroy-filetypes.txt', t.dir).trim().split('\n')) {
      const [kind, path] = line.split(' ');
      assert.equal(kind, '-');
      assert.ok(lstatSync(join(repo, path!)).isFile(), `${path} is a regular file after destroy`);
    }
    assert.equal(readFileSync(join(repo, 'f'), 'utf8'), 'x');
    assert.equal(readFileSync(join(repo, '.gitignore'), 'utf8'), golden('gitignore-after-destroy', t.dir));
  } finally { t.cleanup(); }
});
