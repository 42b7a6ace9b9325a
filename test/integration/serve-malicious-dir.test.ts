/**
 * A crafted `.dir` manifest must never make geodvc write outside the workspace (issue 10):
 * entries with `../../outside`, an absolute path, or a symlink in the workspace leading out are
 * refused by `checkout` and by `pull` (from a local remote and from a `geodvc serve` remote), with
 * a clear error, and nothing outside the repo changes (the test snapshots the parent directory).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, cliOk, runCli } from '../helpers/cli.js';
import { gitInit, makeTmpDir } from '../helpers/tmp.js';

const md5 = (b: string | Buffer) => createHash('md5').update(b).digest('hex');

/** Every path under `dir` (except `skip` names at the top) with its kind and content digest. */
function snapshot(dir: string, skip: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      if (!rel && skip.includes(name)) continue;
      const p = join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out[r] = `link:${readlinkSync(p)}`;
      else if (st.isDirectory()) { out[r] = 'dir'; walk(p, r); }
      else out[r] = `file:${md5(readFileSync(p))}:${st.mode.toString(8)}:${st.mtimeMs}`;
    }
  };
  walk(dir, '');
  return out;
}

function putObject(root: string, content: string | Buffer, suffix = ''): string {
  const h = md5(content);
  const p = join(root, 'files', 'md5', h.slice(0, 2), h.slice(2) + suffix);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, content);
  return h;
}

/** Writes a `.dir` manifest (and its member object) into `store`; returns the manifest oid. */
function plantManifest(store: string, relpaths: string[], content = 'pwned\n'): string {
  const oid = putObject(store, content);
  const manifest = '[' + relpaths.map((r) => `{"md5": "${oid}", "relpath": ${JSON.stringify(r)}}`).join(', ') + ']';
  const h = md5(manifest);
  const p = join(store, 'files', 'md5', h.slice(0, 2), `${h.slice(2)}.dir`);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, manifest);
  return `${h}.dir`;
}

interface Fixture { base: string; parent: string; repo: string; outside: string; cleanup(): void }

async function fixture(): Promise<Fixture> {
  const t = makeTmpDir('malicious-dir-');
  const parent = join(t.dir, 'parent');
  const repo = join(parent, 'repo');
  const outside = join(parent, 'outside');
  mkdirSync(repo, { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, 'victim.txt'), 'precious\n');
  writeFileSync(join(parent, 'sibling.txt'), 'sibling\n');
  gitInit(repo);
  await cliOk(['init', '-q'], { cwd: repo });
  return { base: t.dir, parent, repo, outside, cleanup: t.cleanup };
}

function writeDvc(repo: string, dirOid: string, n: number): void {
  writeFileSync(join(repo, 'data.dvc'), `outs:\n- md5: ${dirOid}\n  size: ${6 * n}\n  nfiles: ${n}\n  hash: md5\n  path: data\n`);
}

function assertRefused(r: { code: number; stderr: string; stdout: string }, what: string): void {
  assert.notEqual(r.code, 0, `${what}: expected a refusal\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.match(r.stderr, /unsafe|refusing|outside|symlink|relpath/i, `${what}: no clear error\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /TypeError|at .*\.ts:\d+/, `${what}: crashed instead of a clear error\n${r.stderr}`);
}

const cases = (f: Fixture): { name: string; relpaths: string[]; prepare?: () => void }[] => [
  { name: "'../../outside' entries", relpaths: ['../../outside/pwned.txt', 'ok.txt'] },
  { name: 'an absolute path', relpaths: [join(f.outside, 'pwned.txt')] },
  { name: 'a backslash/drive-letter path', relpaths: ['..\\..\\outside\\pwned.txt', 'C:/pwned.txt'] },
  { name: 'a symlinked subdirectory leading out', relpaths: ['sub/pwned.txt'], prepare: () => { mkdirSync(join(f.repo, 'data'), { recursive: true }); symlinkSync(f.outside, join(f.repo, 'data', 'sub')); } },
  { name: 'the output dir itself a symlink leading out', relpaths: ['pwned.txt'], prepare: () => { symlinkSync(f.outside, join(f.repo, 'data')); } },
];

test('checkout refuses a malicious .dir and changes nothing outside the workspace', { timeout: 240_000 }, async () => {
  for (let i = 0; i < 5; i++) {
    const f = await fixture();
    try {
      const c = cases(f)[i]!;
      c.prepare?.();
      const dirOid = plantManifest(join(f.repo, '.dvc', 'cache'), c.relpaths);
      writeDvc(f.repo, dirOid, c.relpaths.length);
      const before = snapshot(f.parent, ['repo']);
      for (const args of [['checkout'], ['checkout', '--force'], ['checkout', 'data']]) {
        const r = await runCli(args, { cwd: f.repo });
        assertRefused(r, `${args.join(' ')} with ${c.name}`);
        assert.deepEqual(snapshot(f.parent, ['repo']), before, `${c.name}: something outside the repo changed`);
        assert.equal(existsSync(join(f.outside, 'pwned.txt')), false);
      }
    } finally { f.cleanup(); }
  }
});

test('pull from a local remote refuses a malicious .dir and changes nothing outside the workspace', { timeout: 240_000 }, async () => {
  for (let i = 0; i < 5; i++) {
    const f = await fixture();
    try {
      const c = cases(f)[i]!;
      c.prepare?.();
      const remote = join(f.parent, 'remote');
      const dirOid = plantManifest(remote, c.relpaths);
      writeDvc(f.repo, dirOid, c.relpaths.length);
      await cliOk(['remote', 'add', '-d', 'origin', remote], { cwd: f.repo });
      const before = snapshot(f.parent, ['repo']);
      const r = await runCli(['pull'], { cwd: f.repo });
      assertRefused(r, `pull with ${c.name}`);
      assert.deepEqual(snapshot(f.parent, ['repo']), before, `${c.name}: something outside the repo changed`);
      assert.equal(existsSync(join(f.outside, 'pwned.txt')), false);
    } finally { f.cleanup(); }
  }
});

test('pull from a `geodvc serve` remote refuses a malicious .dir', { timeout: 240_000 }, async (t) => {
  const f = await fixture();
  let child: ChildProcess | undefined;
  try {
    const served = join(f.base, 'served');
    const dirOid = plantManifest(served, ['../../outside/pwned.txt']); // a compromised remote: planted behind the server's back
    writeDvc(f.repo, dirOid, 1);
    child = spawn(process.execPath, [BIN, 'serve', '--root', served, '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d) => { out += d; });
    let url: string | undefined;
    for (let i = 0; i < 300 && !url; i++) { try { url = JSON.parse(out).url; } catch { await new Promise((r) => setTimeout(r, 50)); } }
    if (!url) { if (process.env.CI === 'true') assert.fail('serve did not start'); t.skip('serve did not start'); return; }
    await cliOk(['remote', 'add', '-d', 'origin', url], { cwd: f.repo });
    const before = snapshot(f.parent, ['repo']);
    const r = await runCli(['pull'], { cwd: f.repo });
    assertRefused(r, 'pull over http');
    assert.deepEqual(snapshot(f.parent, ['repo']), before);
    assert.equal(existsSync(join(f.outside, 'pwned.txt')), false);
  } finally {
    child?.kill('SIGTERM');
    f.cleanup();
  }
});
