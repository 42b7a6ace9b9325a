import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { commandFilesFor, commandManifest, fewBigObjects, heapAwareProgress, similarNames, tuneHeap } from './main.js';
import { REPO_ROOT, runCli } from '../../test/helpers/cli.js';
import { readFileSync } from 'node:fs';

const names = (files: string[]) => files.map((f) => `${basename(dirname(f))}/${basename(f).replace(/\.(ts|js)$/, '')}`);

test('cli: a command imports only its own module; groups, aliases and help import what they need', () => {
  assert.deepEqual(names(commandFilesFor(['push', '-j', '4', '-r', 'x'])), ['commands/push']);
  assert.deepEqual(names(commandFilesFor(['--cd', 'push', 'status', '-c'])), ['commands/status']);
  assert.deepEqual(names(commandFilesFor(['remote', 'add', '-d', 'r', 's3://b/p'])), ['remote/_group', 'remote/add']);
  const all = commandFilesFor(['--help']);
  assert.ok(all.length > 50, `every command module for --help (got ${all.length})`);
  // an alias (`mv` = move, `remote ls` = remote list), a typo, a helper file: the whole set (or group)
  assert.equal(commandFilesFor(['mv', 'a', 'b']).length, all.length);
  assert.equal(commandFilesFor(['pussh']).length, all.length);
  assert.equal(commandFilesFor(['_pull-bbox']).length, all.length);
  const remoteAll = names(commandFilesFor(['remote', 'ls']));
  assert.ok(remoteAll.includes('remote/list') && remoteAll.includes('remote/_group') && remoteAll.every((n) => n.startsWith('remote/')), remoteAll.join(' '));
});

test('cli: transfer commands cap the heap growth; the others keep V8 defaults', () => {
  assert.equal(tuneHeap(['add', 'data']), false);
  assert.equal(tuneHeap(['remote', 'list']), false);
  assert.equal(tuneHeap(['--cd', 'push', 'add', 'x']), false);
  assert.equal(tuneHeap(['push', '-j', '4']), true);
  assert.equal(tuneHeap(['--cd', 'repo', 'pull']), true);
  // the cap is lifted only for transfers of big objects on average, never for many small ones
  assert.equal(fewBigObjects({ phase: 'fetching', total: 1, bytesTotal: 2 ** 31 }), true);
  assert.equal(fewBigObjects({ phase: 'fetching', total: 1, bytesTotal: 0 }), false, 'a .dir manifest first');
  assert.equal(fewBigObjects({ phase: 'pushing', total: 100_001, bytesTotal: 100_000 * 4096 + 2 ** 31 }), false);
  assert.equal(fewBigObjects({ phase: 'checking remote', total: 5 }), false);
  const seen: string[] = [];
  const p = heapAwareProgress((e) => seen.push(e.phase), true);
  p({ phase: 'fetching', total: 1, bytesTotal: 2 ** 31 });
  p({ phase: 'fetching', total: 1, bytesTotal: 2 ** 31, finished: true });
  assert.deepEqual(seen, ['fetching', 'fetching'], 'every event still reaches the reporter');
  const inner = () => {};
  assert.equal(heapAwareProgress(inner, false), inner);
});

test('cli: aliases, group help and suggestions still work with per-command loading', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'geodvc-cli-'));
  try {
    const mv = await runCli(['mv', '--help'], { cwd: dir });
    assert.equal(mv.code, 0, mv.stderr);
    assert.match(mv.stdout, /Usage: geodvc move/);
    const top = await runCli(['--help'], { cwd: dir });
    assert.equal(top.code, 0);
    for (const c of ['push', 'pull', 'remote', 'geo', 'exp', 'repro']) assert.match(top.stdout, new RegExp(`\\n  ${c}\\b`), c);
    const grp = await runCli(['remote', '--help'], { cwd: dir });
    assert.equal(grp.code, 0);
    for (const c of ['add', 'modify', 'list|ls', 'rename']) assert.ok(grp.stdout.includes(c), `${c} in\n${grp.stdout}`);
    const typo = await runCli(['pussh'], { cwd: dir });
    assert.notEqual(typo.code, 0);
    assert.match(typo.stderr, /push/);
    const ls = await runCli(['remote', 'ls'], { cwd: dir });
    assert.notEqual(ls.code, 0, 'not a repository');
    assert.match(ls.stderr, /not a (geodvc|DVC|dvc)|init/i);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cli: suggestions for a mistyped command are the nearest names', () => {
  const names = ['push', 'pull', 'init', 'status', 'stage', 'remote', 'remove', 'gc'];
  assert.deepEqual(similarNames('pussh', names), ['push']);
  assert.deepEqual(similarNames('stauts', names), ['status']);
  assert.deepEqual(similarNames('sta', names).sort(), ['stage', 'status'], 'a prefix suggests every command it starts');
  assert.deepEqual(similarNames('frobnicate', names), []);
});

test('cli: an unknown command exits 254 with an error and a suggestion, also with --help and --json', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'geodvc-cli-'));
  try {
    const cases = [['frobnicate'], ['frobnicate', '--help'], ['pussh', '--help'], ['remote', 'bogus', '--help'], ['geo', 'infoo', 'x.tif']];
    const results = await Promise.all(cases.map((args) => runCli(args, { cwd: dir })));
    for (const [i, args] of cases.entries()) {
      const r = results[i]!;
      assert.equal(r.code, 254, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.doesNotMatch(r.stdout, /Usage:/, 'no help printed for an unknown command');
      assert.match(r.stderr, /ERROR: '.+' is not a geodvc command/);
      assert.match(r.stderr, /hint: .*--help' lists the commands/);
    }
    const typo = await runCli(['pussh', '--help'], { cwd: dir });
    assert.match(typo.stderr, /did you mean 'push'\?/);
    const sub = await runCli(['remote', 'bogus', '--help'], { cwd: dir });
    assert.match(sub.stderr, /'geodvc remote --help'/);
    const json = await runCli(['frobnicate', '--json'], { cwd: dir });
    assert.equal(json.code, 254);
    const doc = JSON.parse(json.stdout) as { error: string; details: { command: string[] } };
    assert.equal(doc.error, 'usage');
    assert.deepEqual(doc.details.command, ['frobnicate']);
    // known commands and `help` are unaffected
    const help = await runCli(['help'], { cwd: dir });
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: geodvc/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cli: the top-level help from the build-time command list equals the help from every module', async () => {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'dist', 'cli', 'commands.json'), 'utf8')) as { commands: { path: string[] }[] };
  assert.ok(manifest.commands.length > 50, 'dist/cli/commands.json lists the commands');
  assert.ok(manifest.commands.some((c) => c.path.join(' ') === 'remote add'));
  // only runs without a command word use it (help, version); the sources never do
  assert.equal(commandManifest(['push', '--help']), undefined);
  // from dist/ (what ships, and what the suite imports) the list is used; from src/ (tsx) never
  if (import.meta.resolve('./main.js').endsWith('.ts')) assert.equal(commandManifest(['--help']), undefined, 'running from src/ (tsx): no manifest');
  else assert.deepEqual(commandManifest(['--help']), manifest, 'from dist/: the build-time list');
  const typoFast = await runCli(['pussh', '--help'], { cwd: tmpdir() });
  const typoFull = await runCli(['pussh', '--help'], { cwd: tmpdir(), env: { GEODVC_NO_COMMAND_MANIFEST: '1' } });
  assert.equal(typoFast.code, 254);
  assert.equal(typoFast.stderr, typoFull.stderr, 'an unknown command is refused alike from the list');
  const dir = mkdtempSync(join(tmpdir(), 'geodvc-cli-'));
  try {
    const fast = await runCli(['--help'], { cwd: dir });
    const full = await runCli(['--help'], { cwd: dir, env: { GEODVC_NO_COMMAND_MANIFEST: '1' } });
    assert.equal(fast.code, 0);
    assert.equal(full.code, 0);
    assert.equal(fast.stdout, full.stdout);
    assert.match(fast.stdout, /\n  add \[options\] <targets\.\.\.>/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
