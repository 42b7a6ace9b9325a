/** Issue 20, CLI frictions: doctor's dependency report, geo --help, repro -q, the git-add hint after repro. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { cliOk, REPO_ROOT } from '../helpers/cli.js';
import { makeTmpDir, gitInit, writeTree } from '../helpers/tmp.js';

const SDKS = ['@aws-sdk/client-s3', '@azure/storage-blob', '@google-cloud/storage', 'ssh2-sftp-client', 'bullmq', 'gdal-async'];

test('doctor lists the xxhash backend, every optional SDK and, inside a repo, the cache type and dir', async () => {
  const t = makeTmpDir('geodvc-fr-doc-');
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
    const bare = makeTmpDir('geodvc-fr-norepo-');
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
