/**
 * COPC chunks decoded on worker threads (GEODVC_PC_THREADS) give the same tiles, byte for byte, as
 * one thread: the decoded chunks are yielded in file order whatever thread finishes first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { CORPUS, cliOk } from '../helpers/cli.js';
import { makeTmpDir } from '../helpers/tmp.js';

const FORMATS = join(CORPUS, 'formats');

test('geo chip on a COPC: chunks decoded on worker threads give byte-identical tiles', async () => {
  const { dir: out, cleanup } = makeTmpDir('pc-threads-');
  try {
    const src = join(FORMATS, 'ellipsoid.copc.laz');
    const digests: string[] = [];
    for (const threads of ['1', '2']) {
      const dir = join(out, threads);
      await cliOk(['geo', 'chip', '-q', '--input', src, '--output', dir, '--size', '100', '--buffer', '5'], { cwd: FORMATS, env: { GEODVC_PC_THREADS: threads } });
      const index = JSON.parse(readFileSync(join(dir, 'tiles.json'), 'utf8'));
      const md5 = createHash('md5');
      for (const t of index.tiles) { md5.update(t.file); md5.update(readFileSync(join(dir, t.file))); if (t.buffer) md5.update(readFileSync(join(dir, t.buffer.file))); }
      digests.push(md5.digest('hex'));
      assert.equal(index.tiles.reduce((s: number, t: any) => s + t.points, 0), 100000);
    }
    assert.equal(digests[1], digests[0]);
  } finally { cleanup(); }
});
