/**
 * Faults: servers killed mid-push and mid-pull (restarted, rerun, all data exactly once), the
 * client killed mid-pull, a corrupted object recovered from the fallback remote, and the error
 * paths (wrong URL, missing credential file, access denied, missing bucket, unknown option, disk
 * full during pull): clear error with a hint, non-zero exit, nothing partial, rerun completes.
 * Everything goes through the real CLI process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, existsSync, chmodSync, mkdirSync, readdirSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, basename } from 'node:path';
import { runCli, BIN } from '../helpers/cli.js';
import { startOrSkip, IN_CI } from '../helpers/servers/index.js';
import { startS3rver } from '../helpers/servers/s3rver.js';
import { startHttpServer } from '../helpers/servers/http-server.js';
import { startAzurite } from '../helpers/servers/azurite.js';
import { makeRepoWithData, setRemote, setCore, diffWorkspace, listFiles, type RepoData } from './storage-repo.js';

/** Every object in the cache hashes to its name; no temp files pretend to be data. */
function cacheProblems(cacheDir: string): string[] {
  const bad: string[] = [];
  for (const rel of listFiles(join(cacheDir, 'files', 'md5'))) {
    const name = rel.replace('/', '');
    if (basename(rel).startsWith('.geodvc-tmp-')) continue; // leftovers of a killed client are not objects
    const bytes = readFileSync(join(cacheDir, 'files', 'md5', rel));
    const md5 = createHash('md5').update(bytes).digest('hex') + (name.endsWith('.dir') ? '.dir' : '');
    if (md5 !== name) bad.push(rel);
  }
  return bad;
}

function wipeData(d: RepoData): void {
  rmSync(join(d.root, '.dvc', 'cache'), { recursive: true, force: true });
  rmSync(join(d.root, 'data', 'tiles'), { recursive: true, force: true });
  rmSync(join(d.root, 'data', 'big.tif'), { force: true });
}

/** Starts the CLI and returns its promise plus its child for killing. */
function startCli(args: string[], cwd: string) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, CI: 'true', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const done = new Promise<{ code: number; stdout: string; stderr: string }>((res) => child.on('close', (code, sig) => res({ code: code ?? (sig ? 137 : 0), stdout, stderr })));
  return { child, done };
}

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const countObjects = (dir: string) => listFiles(dir).filter((f) => !f.includes('.tmp') && !f.includes('.part')).length;

test('s3rver killed mid-push: clear error, restart, rerun pushes the rest, every object exactly once', { timeout: 400_000 }, async (t) => {
  const srv = await startOrSkip(t, 's3rver', () => startS3rver());
  if (!srv) return;
  const tmp = mkdtempSync(join(tmpdir(), 'geodvc-fault-'));
  try {
    const r = await srv.newRemote('kill');
    const data = await makeRepoWithData(join(tmp, 'repo'), 150, 16 << 20);
    setRemote(data.root, 's3', r.url, { ...r.options, retries: '2', part_size: String(8 << 20) }, { isDefault: true });
    const bucketDir = join(srv.objectPath!(r.url, 'x')!, '..', '..');
    const run = startCli(['push', '-j', '2'], data.root);
    await until(() => existsSync(bucketDir) && countObjects(bucketDir) >= 20, 60_000, 'some objects on the server');
    await srv.kill();
    const res = await run.done;
    assert.notEqual(res.code, 0, 'push fails when the server dies');
    assert.match(res.stderr, /cannot reach remote|unreachable|ECONNREFUSED/i);
    assert.match(res.stderr, /hint:.*rerun/i);
    await srv.restart();
    const again = await runCli(['push'], { cwd: data.root });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /\d+ files? pushed/);
    const third = await runCli(['push'], { cwd: data.root });
    assert.match(third.stdout, /Everything is up to date/);
    // every object exactly once, and the bytes are right: pull them into an empty cache
    wipeData(data);
    const pl = await runCli(['pull'], { cwd: data.root });
    assert.equal(pl.code, 0, pl.stderr);
    assert.deepEqual(diffWorkspace(data), []);
    const keys = execFileSync('find', [bucketDir, '-name', '*._S3rver_object'], { encoding: 'utf8' }).trim().split('\n');
    assert.equal(keys.length, 152, 'one object per file + .dir + big file, none twice');
  } finally {
    await srv.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('HTTP server killed mid-pull: clear error, nothing partial in cache or workspace, rerun completes', { timeout: 400_000 }, async (t) => {
  const srv = await startOrSkip(t, 'node-http', () => startHttpServer());
  if (!srv) return;
  const tmp = mkdtempSync(join(tmpdir(), 'geodvc-fault-'));
  try {
    const r = await srv.newRemote('pullkill');
    const data = await makeRepoWithData(join(tmp, 'repo'), 150, 16 << 20);
    setRemote(data.root, 'web', r.url, { ...r.options, retries: '2', part_size: String(8 << 20) }, { isDefault: true });
    assert.equal((await runCli(['push'], { cwd: data.root })).code, 0);
    wipeData(data);
    srv.delayMs = 15;
    const cache = join(data.root, '.dvc', 'cache');
    const run = startCli(['pull', '-j', '2'], data.root);
    await until(() => countObjects(join(cache, 'files')) >= 20, 60_000, 'some objects fetched');
    await srv.kill();
    const res = await run.done;
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /cannot reach remote/i);
    assert.match(res.stderr, /hint:/);
    assert.deepEqual(cacheProblems(cache), [], 'no partial object in the cache');
    assert.deepEqual(listFiles(cache).filter((f) => f.includes('.geodvc-tmp-')), [], 'temp files removed');
    assert.ok(!existsSync(join(data.root, 'data', 'big.tif')) || diffWorkspace(data).every((x) => !x.includes('big.tif')));
    srv.delayMs = 0;
    await srv.restart();
    const again = await runCli(['pull'], { cwd: data.root });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(diffWorkspace(data), []);
  } finally {
    await srv.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('client killed mid-pull and mid-push: rerun completes, nothing half-written is taken for data', { timeout: 400_000 }, async (t) => {
  const srv = await startOrSkip(t, 'node-http', () => startHttpServer());
  if (!srv) return;
  const tmp = mkdtempSync(join(tmpdir(), 'geodvc-fault-'));
  try {
    const r = await srv.newRemote('clientkill');
    const data = await makeRepoWithData(join(tmp, 'repo'), 150, 16 << 20);
    setRemote(data.root, 'web', r.url, { ...r.options, part_size: String(8 << 20) }, { isDefault: true });
    srv.delayMs = 10;
    const remoteDir = join(srv.dataDir, new URL(r.url).pathname);
    const p = startCli(['push', '-j', '2'], data.root);
    await until(() => countObjects(remoteDir) >= 20, 60_000, 'some objects pushed');
    p.child.kill('SIGKILL');
    await p.done;
    srv.delayMs = 0;
    const again = await runCli(['push'], { cwd: data.root });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(countObjects(remoteDir), 152);

    wipeData(data);
    srv.delayMs = 10;
    const cache = join(data.root, '.dvc', 'cache');
    const run = startCli(['pull', '-j', '2'], data.root);
    await until(() => countObjects(join(cache, 'files')) >= 20, 60_000, 'some objects fetched');
    run.child.kill('SIGKILL');
    await run.done;
    assert.deepEqual(cacheProblems(cache), [], 'every object in the cache is whole');
    srv.delayMs = 0;
    const pl = await runCli(['pull'], { cwd: data.root });
    assert.equal(pl.code, 0, pl.stderr);
    assert.deepEqual(diffWorkspace(data), []);
  } finally {
    await srv.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('a flipped byte on the remote is reported, quarantined and recovered from core.fallback_remotes', { timeout: 400_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'geodvc-fault-'));
  try {
    // 40 MiB: big enough for the split fetch (one worker hashes, another copies; engine.ts)
    const data = await makeRepoWithData(join(tmp, 'repo'), 20, 40 << 20);
    const primary = join(tmp, 'primary');
    const mirror = join(tmp, 'mirror');
    setRemote(data.root, 'primary', primary, {}, { isDefault: true });
    setRemote(data.root, 'mirror', mirror, {});
    assert.equal((await runCli(['push'], { cwd: data.root })).code, 0);
    assert.equal((await runCli(['push', '-r', 'mirror'], { cwd: data.root })).code, 0);
    const dvc = readFileSync(join(data.root, 'data', 'big.tif.dvc'), 'utf8');
    const oid = /md5: ([0-9a-f]{32})/.exec(dvc)![1]!;
    const obj = join(primary, 'files', 'md5', oid.slice(0, 2), oid.slice(2));
    chmodSync(obj, 0o644);
    const bytes = readFileSync(obj);
    bytes.writeUInt8(bytes.readUInt8(1234) ^ 0xff, 1234);
    writeFileSync(obj, bytes);
    wipeData(data);

    // without a fallback: the corruption is reported and pull fails, nothing bad enters the cache
    const bad = await runCli(['pull'], { cwd: data.root });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, new RegExp(`${oid}.*primary.*corrupted|corrupted.*${oid}`));
    assert.match(bad.stderr, /data\/big\.tif/);
    assert.ok(!existsSync(join(data.root, '.dvc', 'cache', 'files', 'md5', oid.slice(0, 2), oid.slice(2))));
    assert.ok(!existsSync(join(data.root, 'data', 'big.tif')));
    const leftovers = readdirSync(join(data.root, '.dvc', 'cache'), { recursive: true }).map(String).filter((f) => /geodvc-tmp|\.tmp$/.test(f));
    assert.deepEqual(leftovers, [], 'no temp copy of the bad object is left in the cache');

    setCore(data.root, 'fallback_remotes', 'mirror');
    const ok = await runCli(['pull'], { cwd: data.root });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, new RegExp(`object ${oid} on remote 'primary' is corrupted`));
    assert.deepEqual(diffWorkspace(data), []);
    const q = readdirSync(join(data.root, '.dvc', 'cache', 'quarantine'));
    assert.ok(q.some((f) => f.startsWith(`${oid}.primary.`)), 'the bad copy is kept in quarantine');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('bad remotes: wrong URL, unknown option, missing credential file, missing bucket, access denied', { timeout: 400_000 }, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'geodvc-fault-'));
  const s3 = await startOrSkip(t, 's3rver', () => startS3rver());
  const az = await startOrSkip(t, 'azurite', () => startAzurite());
  try {
    const data = await makeRepoWithData(join(tmp, 'repo'), 3, 0);
    const cwd = data.root;
    setRemote(cwd, 'bad', 'foo://x/y', {}, { isDefault: true });
    let r = await runCli(['push'], { cwd });
    assert.equal(r.code, 251);
    assert.match(r.stderr, /unsupported remote URL/i);
    assert.match(r.stderr, /hint:/);

    r = await runCli(['remote', 'add', 'ok', '/tmp/x'], { cwd });
    assert.equal(r.code, 0, r.stderr);
    r = await runCli(['remote', 'modify', 'ok', 'no_such_option', '1'], { cwd });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unknown option/i);

    setRemote(cwd, 'cred', 's3://b/p', { credentialpath: join(tmp, 'nope', 'credentials'), endpointurl: 'http://127.0.0.1:9' }, { isDefault: true });
    r = await runCli(['push'], { cwd });
    assert.equal(r.code, 251);
    assert.match(r.stderr, /credential file .* does not exist/);
    assert.match(r.stderr, /hint:/);

    if (s3) {
      setRemote(cwd, 'nobucket', 's3://no-such-bucket/x', s3.options, { isDefault: true });
      r = await runCli(['push'], { cwd });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /bucket 'no-such-bucket'.*does not exist/);
      assert.match(r.stderr, /hint: create the bucket/);
    }
    if (az) {
      const good = await az.newRemote('denied');
      const wrongKey = String(good.options.connection_string).replace(/AccountKey=[^;]+/, `AccountKey=${Buffer.from('wrong-key-wrong-key').toString('base64')}`);
      setRemote(cwd, 'denied', good.url, { connection_string: wrongKey, retries: '1' }, { isDefault: true });
      r = await runCli(['push'], { cwd });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /access denied/i);
      assert.match(r.stderr, /hint:/);
      // the same remote with the right key works: nothing was left half-done
      setRemote(cwd, 'denied', good.url, good.options, { isDefault: true });
      r = await runCli(['push'], { cwd });
      assert.equal(r.code, 0, r.stderr);
    }
  } finally {
    await s3?.stop();
    await az?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('disk full during pull: clear error, no partial object, rerun completes once space is back', { timeout: 400_000 }, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'geodvc-fault-'));
  const mnt = join(tmp, 'smallfs');
  mkdirSync(mnt);
  try {
    try { execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=12m', 'tmpfs', mnt], { stdio: 'ignore' }); } catch (err) {
      if (IN_CI && process.getuid?.() === 0) throw err;
      t.skip('cannot mount a small tmpfs here (needs root)');
      return;
    }
    const data = await makeRepoWithData(join(tmp, 'repo'), 10, 20 << 20);
    setRemote(data.root, 'loc', join(tmp, 'remote'), { part_size: String(8 << 20) }, { isDefault: true });
    assert.equal((await runCli(['push'], { cwd: data.root })).code, 0);
    wipeData(data);
    // the cache lives on a 12 MiB file system: the 20 MiB object cannot fit
    const data2 = readFileSync(join(data.root, '.dvc', 'config'), 'utf8');
    writeFileSync(join(data.root, '.dvc', 'config'), `${data2}[cache]\n    dir = ${mnt}/cache\n`);
    const r = await runCli(['pull'], { cwd: data.root });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /no space left/i);
    assert.match(r.stderr, /hint:/);
    assert.deepEqual(listFiles(mnt).filter((f) => f.includes('.geodvc-tmp-')), [], 'no temp files left on the full disk');
    assert.deepEqual(cacheProblems(join(mnt, 'cache')), []);
    execFileSync('umount', [mnt]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', mnt]);
    const ok = await runCli(['pull'], { cwd: data.root });
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(diffWorkspace(data), []);
  } finally {
    try { execFileSync('umount', [mnt], { stdio: 'ignore' }); } catch { /* not mounted */ }
    rmSync(tmp, { recursive: true, force: true });
  }
});
