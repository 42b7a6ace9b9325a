/**
 * `npm run demo`: walks the seed workflow end to end on a scratch repository with an embedded local
 * remote, printing every command as a person would type it, then its output. Data comes from
 * ../shared/corpus when present (real rasters nobody here wrote) and is generated otherwise.
 *
 *   DEMO_DIR=/some/dir npm run demo   # keep the repository somewhere specific (default: a temp dir)
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'geodvc.js');
const corpus = process.env.GEODVC_CORPUS ?? join(root, '..', 'shared', 'corpus');
const work = process.env.DEMO_DIR ?? mkdtempSync(join(tmpdir(), 'geodvc-demo-'));
const repo = join(work, 'project');
const remote = join(work, 'remote-storage');
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);

let stepNo = 0;
function section(title: string, why: string): void {
  stepNo++;
  process.stdout.write(`\n${bold(`${stepNo}. ${title}`)}\n${dim(why)}\n`);
}

/** Runs a shell-free command in the repo, echoing it as typed; throws when the exit code is unexpected. */
function run(cmd: string, args: string[], opts: { expect?: number; cwd?: string; show?: boolean } = {}): string {
  const shown = [cmd, ...args.map((a) => (/[\s"'$]/.test(a) ? `'${a}'` : a))].join(' ');
  process.stdout.write(`$ ${shown}\n`);
  // stderr (progress, notes) is merged into stdout in order, as a terminal would show it.
  const exe = cmd === 'geodvc' ? process.execPath : cmd;
  const argv = cmd === 'geodvc' ? [bin, ...args] : args;
  const r = spawnSync('/bin/sh', ['-c', 'exec "$0" "$@" 2>&1', exe, ...argv], { cwd: opts.cwd ?? repo, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', GIT_AUTHOR_NAME: 'demo', GIT_AUTHOR_EMAIL: 'demo@geodvc.local', GIT_COMMITTER_NAME: 'demo', GIT_COMMITTER_EMAIL: 'demo@geodvc.local' }, maxBuffer: 1 << 26 });
  const out = (r.stdout ?? '').trimEnd();
  if (out && opts.show !== false) process.stdout.write(out.split('\n').map((l) => `  ${l}`).join('\n') + '\n');
  const expect = opts.expect ?? 0;
  if (r.status !== expect) throw new Error(`demo step failed: \`${shown}\` exited ${r.status} (expected ${expect})`);
  return r.stdout ?? '';
}

function md5(path: string): string { return createHash('md5').update(readFileSync(path)).digest('hex'); }

function pickRasters(): string[] {
  if (!existsSync(join(corpus, 'corpus.json'))) return [];
  const wanted = ['byte.tif', 'cog.tif', 'utm.tif', 'float32.tif', 'int16.tif', 'RGB.byte.tif'];
  return wanted.map((f) => join(corpus, f)).filter((p) => existsSync(p));
}

async function main(): Promise<void> {
  rmSync(repo, { recursive: true, force: true });
  rmSync(remote, { recursive: true, force: true });
  mkdirSync(join(repo, 'data', 'raw'), { recursive: true });
  process.stdout.write(`${bold('geodvc demo')}: data version control for geospatial training data\nworking in ${work}\n`);

  section('Start a repository', 'geodvc lives next to git: code in git, data in a content-addressed cache.');
  run('git', ['init', '-q', '-b', 'main']);
  run('geodvc', ['init']);

  section('Configure the remote as the seed does', 'An embedded local directory stands in for s3://…; the options are the seed\'s.');
  run('geodvc', ['remote', 'add', '-d', 'geospatial-remote', remote]);
  run('geodvc', ['remote', 'modify', 'geospatial-remote', 'upload_concurrency', '10']);
  run('geodvc', ['remote', 'modify', 'geospatial-remote', 'download_concurrency', '10']);
  run('geodvc', ['remote', 'modify', 'geospatial-remote', 'checksum', 'xxhash']);
  run('cat', ['.dvc/config']);

  section('Track raw imagery', 'Rasters go to the cache; a small .dvc file with their hash goes to git.');
  const rasters = pickRasters();
  if (!rasters.length) throw new Error(`no rasters found in ${corpus}; set GEODVC_CORPUS`);
  for (const r of rasters) cpSync(r, join(repo, 'data', 'raw', r.split('/').pop()!));
  run('ls', ['-l', 'data/raw']);
  run('geodvc', ['add', 'data/raw']);
  run('cat', ['data/raw.dvc']);
  run('git', ['add', 'data/raw.dvc', 'data/.gitignore', '.dvc/config']);
  run('git', ['commit', '-qm', 'Track raw imagery']);

  section('Edit a file and see exactly what changed', 'status compares the workspace with the .dvc files without re-hashing unchanged files.');
  const victim = join(repo, 'data', 'raw', rasters[0]!.split('/').pop()!);
  const before = md5(victim);
  run('chmod', ['u+w', victim]);
  appendFileSync(victim, Buffer.from('trailing bytes written by a careless script'));
  run('geodvc', ['status'], { expect: 0 });
  run('geodvc', ['commit', '-f']);
  run('git', ['commit', '-qam', 'Raw imagery v2']);

  section('Roll back to the previous dataset version', 'git brings back the old .dvc file; geodvc checkout brings back its bytes.');
  run('git', ['log', '--oneline', '--', 'data/raw.dvc']);
  run('git', ['checkout', 'HEAD~1', '--', 'data/raw.dvc']);
  run('geodvc', ['checkout', 'data/raw.dvc']);
  const after = md5(victim);
  process.stdout.write(`  md5 of ${victim.split('/').pop()} before the edit ${before}, after rollback ${after}: ${before === after ? 'identical' : 'DIFFERENT'}\n`);
  if (before !== after) throw new Error('rollback did not restore the file');
  run('git', ['checkout', 'HEAD', '--', 'data/raw.dvc']);
  run('geodvc', ['checkout', 'data/raw.dvc']);

  process.stdout.write(`\n${bold('Done.')} The repository is in ${repo}\n`);
}

main().catch((err) => {
  process.stderr.write(`\n${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
