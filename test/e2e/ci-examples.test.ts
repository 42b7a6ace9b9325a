/**
 * Runs the geodvc commands of the shipped CI examples (examples/ci/*.yml), in order, in a fresh
 * clone of a scratch repository whose data lives on a local remote: what a CI runner would do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { parse } from 'yaml';
import { makeTmpDir, gitInit, git } from '../helpers/tmp.js';
import { cliOk, runCli, CORPUS, REPO_ROOT } from '../helpers/cli.js';

function geodvcSteps(file: string): string[][] {
  const doc = parse(readFileSync(join(REPO_ROOT, 'examples', 'ci', file), 'utf8'));
  const lines: string[] = [];
  if (doc.jobs) for (const job of Object.values<any>(doc.jobs)) for (const s of job.steps ?? []) if (typeof s.run === 'string') lines.push(s.run.trim());
  for (const job of Object.values<any>(doc)) if (job && Array.isArray(job.script)) lines.push(...job.script);
  return lines.filter((l) => l.startsWith('geodvc ')).map((l) => l.split(/\s+/).slice(1));
}

const md5 = (p: string) => createHash('md5').update(readFileSync(p)).digest('hex');

async function prepareOrigin(dir: string): Promise<{ origin: string; remote: string }> {
  const origin = join(dir, 'origin');
  const remote = join(dir, 'remote');
  mkdirSync(join(origin, 'data', 'raw'), { recursive: true });
  gitInit(origin);
  await cliOk(['init'], { cwd: origin });
  await cliOk(['remote', 'add', '-d', 'storage', remote], { cwd: origin });
  // Two rasters on one grid (the gate passes), and a stage deriving an output from them.
  cpSync(join(CORPUS, 'byte.tif'), join(origin, 'data', 'raw', 'a.tif'));
  cpSync(join(CORPUS, 'byte.tif'), join(origin, 'data', 'raw', 'b.tif'));
  await cliOk(['add', 'data/raw'], { cwd: origin });
  writeFileSync(join(origin, 'dvc.yaml'), 'stages:\n  copy:\n    cmd: mkdir -p out && cp data/raw/a.tif out/a_copy.tif\n    deps:\n    - data/raw\n    outs:\n    - out\n');
  await cliOk(['repro'], { cwd: origin });
  await cliOk(['push'], { cwd: origin });
  git(origin, 'add', '-A');
  git(origin, 'commit', '-qm', 'data and pipeline');
  return { origin, remote };
}

for (const file of ['github-actions.yml', 'gitlab-ci.yml']) {
  test(`the commands of examples/ci/${file} run in a fresh clone`, { timeout: 180_000 }, async () => {
    const steps = geodvcSteps(file);
    assert.deepEqual(steps.map((s) => s.slice(0, 2).join(' ')), ['pull', 'geo validate', 'geo check', 'repro', 'push']);
    const { dir, cleanup } = makeTmpDir();
    try {
      const { origin } = await prepareOrigin(dir);
      const clone = join(dir, 'clone');
      git(dir, 'clone', '-q', origin, clone);
      for (const args of steps) {
        const r = await runCli(args, { cwd: clone, env: { CI: 'true' } });
        assert.equal(r.code, 0, `geodvc ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
        assert.ok(!r.stderr.includes('\r'), `non-TTY output must not redraw lines (geodvc ${args.join(' ')})`);
      }
      assert.equal(md5(join(clone, 'data', 'raw', 'a.tif')), md5(join(CORPUS, 'byte.tif')));
      assert.equal(md5(join(clone, 'out', 'a_copy.tif')), md5(join(CORPUS, 'byte.tif')));
      const status = await cliOk(['status', '--json'], { cwd: clone });
      assert.deepEqual(JSON.parse(status.stdout), {});
    } finally {
      cleanup();
    }
  });
}
