/**
 * Secrets never printed (issue 10): a password in a remote URL and a token in config.local stay
 * out of error messages (plain, -v with the cause chain, --json), listings and logs of the CLI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliOk, runCli } from '../helpers/cli.js';
import { gitInit, makeTmpDir } from '../helpers/tmp.js';

test('passwords in URLs and tokens never appear in CLI output', { timeout: 180_000 }, async (t) => {
  const tmp = makeTmpDir('secrets-');
  t.after(() => tmp.cleanup());
  const repo = tmp.dir;
  gitInit(repo);
  await cliOk(['init', '-q'], { cwd: repo });
  await cliOk(['remote', 'add', '-d', 'h', 'http://bob:hunter2secret@127.0.0.1:9/x'], { cwd: repo });
  await cliOk(['remote', 'modify', '--local', 'h', 'token', 'tok-supersecret-123456'], { cwd: repo });
  writeFileSync(join(repo, 'f.txt'), 'hello\n');
  await cliOk(['add', '-q', 'f.txt'], { cwd: repo });
  const outputs: string[] = [];
  for (const args of [['remote', 'list'], ['config', '--list'], ['push'], ['push', '-v'], ['push', '--json'], ['fetch', '-v'], ['status', '-c', '-v']]) {
    const r = await runCli(args, { cwd: repo, env: { GEODVC_HTTP_TOKEN: '' } });
    outputs.push(`$ geodvc ${args.join(' ')} (exit ${r.code})\n${r.stdout}${r.stderr}`);
  }
  const all = outputs.join('\n');
  assert.ok(!all.includes('hunter2secret'), `password printed:\n${all}`);
  assert.ok(!all.includes('tok-supersecret-123456'), `token printed:\n${all}`);
  assert.match(all, /bob:\*\*\*@127\.0\.0\.1/); // the URL is still recognisable
  assert.match(all, /ERROR/); // the pushes failed (nothing listens on port 9) and said so
});
