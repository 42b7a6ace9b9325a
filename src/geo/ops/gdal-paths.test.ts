import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync, rmSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vpath, outName } from './gdal.js';

test('paths handed to gdal3.js are resolved through symlinked folders (NODEFS cannot follow absolute links)', () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'geodvc-vpath-')));
  try {
    mkdirSync(join(dir, 'real', 'sub'), { recursive: true });
    writeFileSync(join(dir, 'real', 'sub', 'a.tif'), 'x');
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    assert.equal(vpath(join(dir, 'link', 'sub', 'a.tif')), `/output${join(dir, 'real', 'sub', 'a.tif')}`);
    // An output that does not exist yet, below a linked folder and a folder still to be made.
    assert.equal(outName(join(dir, 'link', 'new', 'out')), join(dir, 'real', 'new', 'out').slice(1));
    assert.equal(vpath(join(dir, 'plain', 'x.tif')), `/output${join(dir, 'plain', 'x.tif')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
