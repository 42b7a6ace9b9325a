import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MissingDependencyError, OPTIONAL_FEATURES, missingDependency } from './optional-deps.js';

/** The real loader error of importing `spec` from a folder where no node_modules can provide it. */
async function loaderError(spec: string): Promise<unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'geodvc-optdeps-'));
  try {
    const f = join(dir, 'm.mjs');
    writeFileSync(f, `import ${JSON.stringify(spec)};\n`);
    await import(pathToFileURL(f).href);
  } catch (err) {
    return err;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  throw new Error(`${spec} resolved from a bare temp folder`);
}

test('a missing optional SDK becomes an error naming the packages to install', async () => {
  const err = missingDependency(await loaderError('@aws-sdk/client-s3'), 's3');
  assert.ok(err instanceof MissingDependencyError);
  assert.equal(err.code, 'missing-package');
  assert.equal(err.exitCode, 1);
  assert.match(err.message, /s3:\/\/ remotes need the packages @aws-sdk\/client-s3 and @aws-sdk\/lib-storage/);
  assert.match(err.hint ?? '', /npm install @aws-sdk\/client-s3 @aws-sdk\/lib-storage/);
  assert.match(err.hint ?? '', /dvc\[s3\]/);
  assert.deepEqual(err.toJSON().details, { feature: 's3', packages: OPTIONAL_FEATURES.s3!.packages });
  // a deep import of the package maps the same way; the feature is found without naming it
  const deep = missingDependency(await loaderError('ssh2-sftp-client/lib/index.js'));
  assert.equal(deep?.extra, 'ssh');
  assert.equal(missingDependency(await loaderError('bullmq'))?.extra, 'redis');
});

test('other errors are not mistaken for a missing optional package', async () => {
  assert.equal(missingDependency(await loaderError('left-pad-not-a-geodvc-extra')), undefined);
  assert.equal(missingDependency(await loaderError('@aws-sdk/client-s3'), 'azure'), undefined, 'restricted to the scheme asked for');
  assert.equal(missingDependency(new Error("Cannot find package '@aws-sdk/client-s3'")), undefined, 'no loader error code');
  assert.equal(missingDependency(undefined), undefined);
});
