/**
 * `geodvc serve` as a process: it prints its URL (--json), enforces its tokens file, logs denials
 * to --log without secrets, stops cleanly on SIGTERM, and refuses bad flags with exit 254/251.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, runCli } from '../helpers/cli.js';
import { makeTmpDir } from '../helpers/tmp.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

test('serve runs as a process, enforces tokens, logs denials without the token, stops on SIGTERM', async (t) => {
  const tmp = makeTmpDir('serve-cli-');
  t.after(() => tmp.cleanup());
  const tokens = join(tmp.dir, 'tokens');
  writeFileSync(tokens, 'write cli-write-token-0123456789 ci\n', { mode: 0o600 });
  const log = join(tmp.dir, 'serve.log');
  const child = spawn(process.execPath, [BIN, 'serve', '--root', join(tmp.dir, 'remote'), '--port', '0', '--tokens', tokens, '--log', log, '--json', '--max-object-size', '1K', '--allow-host', 'data.example.org'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d) => { out += d; });
  child.stderr.setEncoding('utf8').on('data', (d) => { err += d; });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let info: { url: string; maxObjectBytes: number } | undefined;
  for (let i = 0; i < 300 && !info; i++) {
    try { info = JSON.parse(out); } catch { await new Promise((r) => setTimeout(r, 50)); }
    if (child.exitCode !== null) break;
  }
  if (!info) {
    child.kill('SIGKILL');
    if (process.env.CI === 'true') assert.fail(`serve did not start: ${err}`);
    t.skip(`serve did not start: ${err}`); return;
  }
  try {
    const key = `files/md5/${md5('hello').slice(0, 2)}/${md5('hello').slice(2)}`;
    assert.equal((await fetch(`${info.url}/${key}`, { method: 'POST', body: 'hello' })).status, 401);
    assert.equal((await fetch(`${info.url}/${key}`, { method: 'POST', body: 'hello', headers: { authorization: 'Bearer guessed-token-1234567890' } })).status, 401);
    assert.equal((await fetch(`${info.url}/${key}`, { method: 'POST', body: 'hello', headers: { authorization: 'Bearer cli-write-token-0123456789' } })).status, 201);
    assert.equal(readFileSync(join(tmp.dir, 'remote', ...key.split('/')), 'utf8'), 'hello');
    assert.equal(info.maxObjectBytes, 1024);
    const big = 'x'.repeat(2000);
    const tooBig = await fetch(`${info.url}/files/md5/${md5(big).slice(0, 2)}/${md5(big).slice(2)}`, { method: 'PUT', body: big, headers: { authorization: 'Bearer cli-write-token-0123456789' } });
    assert.equal(tooBig.status, 413);
    const hostStatus = (host: string) => new Promise<number>((resolve, reject) => {
      const u = new URL(info!.url);
      http.get({ host: u.hostname, port: u.port, path: '/?info', headers: { host }, agent: false }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject);
    });
    assert.equal(await hostStatus('data.example.org'), 200);
    assert.equal(await hostStatus('evil.example'), 421);
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0);
  const logText = readFileSync(log, 'utf8');
  assert.match(logText, /denied 401/);
  assert.ok(!logText.includes('guessed-token-1234567890') && !logText.includes('cli-write-token'));
  assert.ok(!err.includes('cli-write-token'));
});

test('serve refuses bad flags and bad tokens files with a hint', async (t) => {
  const tmp = makeTmpDir('serve-cli-');
  t.after(() => tmp.cleanup());
  let r = await runCli(['serve', '--root', tmp.dir, '--port', '70000'], { cwd: tmp.dir });
  assert.equal(r.code, 254); assert.match(r.stderr, /invalid --port/); assert.match(r.stderr, /hint/);
  r = await runCli(['serve', '--root', tmp.dir, '--tls-cert', 'x.pem'], { cwd: tmp.dir });
  assert.equal(r.code, 254); assert.match(r.stderr, /--tls-cert and --tls-key/);
  r = await runCli(['serve', '--root', tmp.dir, '--anonymous', 'admin'], { cwd: tmp.dir });
  assert.equal(r.code, 254);
  r = await runCli(['serve', '--root', tmp.dir, '--max-object-size', '5X'], { cwd: tmp.dir });
  assert.equal(r.code, 254); assert.match(r.stderr, /invalid --max-object-size '5X'/); assert.match(r.stderr, /5G/);
  r = await runCli(['serve', '--root', tmp.dir, '--max-uploads', '0'], { cwd: tmp.dir });
  assert.equal(r.code, 254); assert.match(r.stderr, /invalid --max-uploads/);
  writeFileSync(join(tmp.dir, 'short'), 'write short\n');
  r = await runCli(['serve', '--root', tmp.dir, '--port', '0', '--tokens', join(tmp.dir, 'short')], { cwd: tmp.dir });
  assert.equal(r.code, 251); assert.match(r.stderr, /shorter than 16/); assert.ok(!r.stderr.includes(' short\n'));
  writeFileSync(join(tmp.dir, 'badrole'), 'superuser abcdefghijklmnopqrstuvwxyz\n');
  r = await runCli(['serve', '--root', tmp.dir, '--port', '0', '--tokens', join(tmp.dir, 'badrole')], { cwd: tmp.dir });
  assert.equal(r.code, 251); assert.match(r.stderr, /line 1/); assert.ok(!r.stderr.includes('abcdefghijklmnopqrstuvwxyz'));
  r = await runCli(['serve', '--root', tmp.dir, '--port', '0', '--tokens', join(tmp.dir, 'missing')], { cwd: tmp.dir });
  assert.equal(r.code, 251); assert.match(r.stderr, /cannot read tokens file/);
});
