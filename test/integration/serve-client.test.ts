/**
 * geodvc's own client against `geodvc serve` (both real processes): tokens from config.local and
 * from GEODVC_HTTP_TOKEN, roles enforced end to end (anonymous/read cannot push, write can),
 * `read_only true` refused on the client before any request, pull verifies bytes, and the token
 * never shows up in the CLI's output.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../src/apps/serve/server.js';
import { TokenStore } from '../../src/apps/serve/tokens.js';
import { cliOk, runCli } from '../helpers/cli.js';
import { gitInit, git, makeTmpDir, writeTree } from '../helpers/tmp.js';

const T = { read: 'client-read-token-0123456789', write: 'client-write-token-0123456789' };
let tmp: ReturnType<typeof makeTmpDir>;
let srv: RunningServer | undefined;
const log: string[] = [];

before(async () => {
  tmp = makeTmpDir('serve-client-');
  try {
    srv = await startServer({ root: join(tmp.dir, 'served'), port: 0, tokens: TokenStore.parse(`read ${T.read} annotators\nwrite ${T.write} ci\n`), log: (l) => log.push(l), accessLog: true });
  } catch (err) { if (process.env.CI === 'true') throw err; }
});
after(async () => { await srv?.close(); tmp?.cleanup(); });

function objectsOnServer(): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === '.geodvc-uploads') continue;
      if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`); else out.push(`${rel}${e.name}`);
    }
  };
  walk(join(tmp.dir, 'served'), '');
  return out.sort();
}

test('push/pull through serve: roles, tokens from config.local and env, read_only, no token in output', { timeout: 240_000 }, async (t) => {
  if (!srv) { t.skip('server could not start'); return; }
  const repo = join(tmp.dir, 'repo');
  gitInit(repo);
  await cliOk(['init', '-q'], { cwd: repo });
  const files: Record<string, string> = {};
  for (let i = 0; i < 20; i++) files[`data/tile_${i}.txt`] = `tile ${i} ${'x'.repeat(i * 37)}\n`;
  writeTree(repo, files);
  await cliOk(['add', '-q', 'data'], { cwd: repo });
  await cliOk(['remote', 'add', '-d', 'origin', srv.url], { cwd: repo });
  const env = { GEODVC_HTTP_TOKEN: '' };

  // anonymous: refused, nothing stored
  let r = await runCli(['push'], { cwd: repo, env });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /401|denied/);
  assert.deepEqual(objectsOnServer(), []);

  // read token (config.local): refused, nothing stored, the token not printed
  await cliOk(['remote', 'modify', '--local', 'origin', 'token', T.read], { cwd: repo });
  assert.ok(!readFileSync(join(repo, '.dvc', 'config'), 'utf8').includes(T.read), 'token leaked into the committed config');
  r = await runCli(['push', '-v'], { cwd: repo, env });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /403|denied/);
  assert.ok(!r.stderr.includes(T.read) && !r.stdout.includes(T.read), 'token printed');
  assert.deepEqual(objectsOnServer(), []);

  // write token from the environment (no token in config): pushes everything, intact
  await cliOk(['remote', 'modify', '--local', '--unset', 'origin', 'token'], { cwd: repo });
  assert.ok(!readFileSync(join(repo, '.dvc', 'config.local'), 'utf8').includes(T.read));
  r = await runCli(['push', '-v'], { cwd: repo, env: { GEODVC_HTTP_TOKEN: T.write } });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!r.stderr.includes(T.write) && !r.stdout.includes(T.write), 'token printed');
  const stored = objectsOnServer();
  assert.equal(stored.length, 21, stored.join('\n')); // 20 files + the .dir manifest
  for (const k of stored) {
    const bytes = readFileSync(join(tmp.dir, 'served', ...k.split('/')));
    assert.equal(createHash('md5').update(bytes).digest('hex'), k.replace(/^files\/md5\//, '').replace('/', '').replace(/\.dir$/, ''));
  }

  // a second push is a no-op
  r = await runCli(['push'], { cwd: repo, env: { GEODVC_HTTP_TOKEN: T.write } });
  assert.equal(r.code, 0, r.stderr);

  // pull into a fresh clone with the read token: files restored byte for byte
  git(repo, 'add', '-A');
  git(repo, 'commit', '-qm', 'data');
  const clone = join(tmp.dir, 'clone');
  git(tmp.dir, 'clone', '-q', repo, clone);
  r = await runCli(['pull'], { cwd: clone, env: { GEODVC_HTTP_TOKEN: T.read } });
  assert.equal(r.code, 0, r.stderr);
  for (const [rel, content] of Object.entries(files)) assert.equal(readFileSync(join(clone, rel), 'utf8'), content, rel);
  assert.ok(!r.stderr.includes(T.read) && !r.stdout.includes(T.read));

  // read_only on the client: refused before any write request reaches the server (the access log shows none)
  await cliOk(['remote', 'modify', 'origin', 'read_only', 'true'], { cwd: repo });
  writeTree(repo, { 'data/new.txt': 'new file\n' });
  await cliOk(['add', '-q', 'data'], { cwd: repo });
  const before = log.length;
  r = await runCli(['push'], { cwd: repo, env: { GEODVC_HTTP_TOKEN: T.write } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /read-only/);
  assert.equal(objectsOnServer().length, 21);
  assert.deepEqual(log.slice(before).filter((l) => /\b(PUT|POST|DELETE)\b/.test(l)), [], 'a write request reached the server');
});

test('gc -c through serve: a write token cannot delete, an admin token can', { timeout: 240_000 }, async (t) => {
  if (!srv) { t.skip('server could not start'); return; }
  const s2 = await startServer({ root: join(tmp.dir, 'served-gc'), port: 0, tokens: TokenStore.parse(`write ${T.write}\nadmin client-admin-token-0123456789\n`) });
  try {
    const repo = join(tmp.dir, 'repo-gc');
    gitInit(repo);
    await cliOk(['init', '-q'], { cwd: repo });
    writeTree(repo, { 'a.txt': 'keep me\n', 'b.txt': 'drop me\n' });
    await cliOk(['add', '-q', 'a.txt', 'b.txt'], { cwd: repo });
    await cliOk(['remote', 'add', '-d', 'origin', s2.url], { cwd: repo });
    await cliOk(['push', '-q'], { cwd: repo, env: { GEODVC_HTTP_TOKEN: T.write } });
    const keyB = `files/md5/${createHash('md5').update('drop me\n').digest('hex').replace(/^(..)/, '$1/')}`;
    const pathB = join(tmp.dir, 'served-gc', ...keyB.split('/'));
    assert.ok(existsSync(pathB));
    // forget b.txt, then gc the remote
    await cliOk(['remove', 'b.txt.dvc'], { cwd: repo }).catch(async () => { (await import('node:fs')).rmSync(join(repo, 'b.txt.dvc')); });
    let r = await runCli(['gc', '-w', '-c', '-f'], { cwd: repo, env: { GEODVC_HTTP_TOKEN: T.write } });
    assert.notEqual(r.code, 0, 'a write token must not delete');
    assert.match(r.stderr, /403|denied/);
    assert.ok(existsSync(pathB));
    r = await runCli(['gc', '-w', '-c', '-f'], { cwd: repo, env: { GEODVC_HTTP_TOKEN: 'client-admin-token-0123456789' } });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!existsSync(pathB), 'admin gc should delete the unused object');
    const keyA = `files/md5/${createHash('md5').update('keep me\n').digest('hex').replace(/^(..)/, '$1/')}`;
    assert.ok(existsSync(join(tmp.dir, 'served-gc', ...keyA.split('/'))));
  } finally { await s2.close(); }
});
