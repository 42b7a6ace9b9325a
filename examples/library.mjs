// geodvc as a library: track a folder, check it is clean, push it to the default remote, and
// handle geodvc's typed errors. Run inside a geodvc repository that has a default remote and a
// data/ folder:  node library.mjs /path/to/repo
// (.ci/pack-smoke.sh runs this file against the installed tarball.)
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { add, status, push, fetch, errors } from 'geodvc';

const cwd = process.argv[2] ?? process.cwd();

writeFileSync(`${cwd}/data/c.txt`, 'band 3\n');
const before = await status({ cwd });
assert.equal(before.clean, false, 'data/ changed'); // before.json is DVC's `status --json`

const added = await add({ cwd, targets: ['data'] }); // writes data.dvc, stores the files in the cache
console.log(`added ${added.outputs[0].path}: ${added.outputs[0].nfiles} files, ${added.outputs[0].hash} ${added.outputs[0].oid}`);
assert.equal((await status({ cwd })).clean, true);

const pushed = await push({ cwd, onProgress: (e) => e.finished && console.log(`${e.phase}: done`) });
assert.equal(pushed.failed, 0);
console.log(`pushed ${pushed.pushed} objects (${pushed.bytes} bytes)`);
assert.deepEqual((await fetch({ cwd })).failed, []);

try {
  await status({ cwd: '/' });
} catch (err) {
  // every error is an errors.AppError with a stable code, DVC's exit code and a hint
  assert.ok(err instanceof errors.NotARepoError);
  console.log(`expected error: ${err.code} (exit ${err.exitCode}): ${err.message}; hint: ${err.hint}`);
}
