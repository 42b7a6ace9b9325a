import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTmpDir, writeTree } from '../../../test/helpers/tmp.js';
import { loadDvcIgnore } from './dvcignore.js';

test('gitignore semantics: anchoring, dir-only, globs, **, negation, nested files', () => {
  const t = makeTmpDir();
  try {
    writeTree(t.dir, {
      '.dvcignore': '# comment\n*.tmp\n/build\nlogs/\n!keep.tmp\ndata/**/cache\nsub/x[0-9].txt\n',
      'data/.dvcignore': '*.aux.xml\n!important.aux.xml\n/local-only\n',
    });
    const ig = loadDvcIgnore(t.dir);
    assert.equal(ig.ignores('a.tmp', false), true);
    assert.equal(ig.ignores('deep/down/a.tmp', false), true);
    assert.equal(ig.ignores('keep.tmp', false), false);
    assert.equal(ig.ignores('build', false), true);
    assert.equal(ig.ignores('x/build', false), false);
    assert.equal(ig.ignores('logs', false), false);
    assert.equal(ig.ignores('logs', true), true);
    assert.equal(ig.ignores('a/logs/f.txt', false), true);
    assert.equal(ig.ignores('data/a/b/cache', true), true);
    assert.equal(ig.ignores('data/cache/f', false), true);
    assert.equal(ig.ignores('sub/x1.txt', false), true);
    assert.equal(ig.ignores('sub/xa.txt', false), false);
    assert.equal(ig.ignores('data/t.tif.aux.xml', false), true);
    assert.equal(ig.ignores('data/s/t.tif.aux.xml', false), true);
    assert.equal(ig.ignores('data/important.aux.xml', false), false);
    assert.equal(ig.ignores('t.tif.aux.xml', false), false);
    assert.equal(ig.ignores('data/local-only', false), true);
    assert.equal(ig.ignores('data/x/local-only', false), false);
    assert.equal(ig.ignores('.git/config', false), true);
    assert.equal(ig.ignores('.dvc', true), true);
    assert.equal(ig.ignores('ok/file.tif', false), false);
  } finally { t.cleanup(); }
});

test('100k path checks are fast', () => {
  const t = makeTmpDir();
  try {
    writeTree(t.dir, { '.dvcignore': '*.tmp\n!keep.tmp\n/build\nlogs/\n' });
    const ig = loadDvcIgnore(t.dir);
    // CPU time of this process, not wall time: a loaded machine must not fail it
    const c0 = process.cpuUsage();
    let n = 0;
    for (let d = 0; d < 100; d++) for (let f = 0; f < 1000; f++) if (ig.ignores(`chips/d${d}/f${f}${f % 10 === 0 ? '.tmp' : '.tif'}`, false)) n++;
    const c = process.cpuUsage(c0);
    const ms = (c.user + c.system) / 1000;
    assert.equal(n, 10_000);
    assert.ok(ms < 2000, `took ${ms} ms of CPU`);
  } finally { t.cleanup(); }
});

test('adversarial patterns cannot backtrack catastrophically (issue 17, ReDoS)', () => {
  const t = makeTmpDir();
  try {
    const evil = [
      '**/**/**/**/**/**/a*a*a*a*a*a*b',
      'a*a*a*a*a*a*a*a*a*a*a*a*b',
      '/**/**/**/**/**/**/**/**/x/**/**/y*y*y*y*y*z',
      '*?*?*?*?*?*?*?*?*?*?*?*?c',
      '[a]*[a]*[a]*[a]*[a]*[a]*[a]*b',
      `${'**/a*/'.repeat(12)}b`,
      `x${' '.repeat(20000)}y   `,
    ];
    writeTree(t.dir, { '.dvcignore': evil.join('\n') + '\n' });
    const ig = loadDvcIgnore(t.dir);
    const long = [
      'a'.repeat(4000),
      Array.from({ length: 400 }, () => 'a').join('/'),
      Array.from({ length: 100 }, () => 'aaaaaaaaaaaaaaaaaaa').join('/'),
      `${'x/'.repeat(300)}${'y'.repeat(3000)}`,
      `${'a/'.repeat(300)}${'a'.repeat(3000)}c`,
      // near misses that reach the general matcher: last segments fit, the middle does not
      `${'x/'.repeat(400)}${'a/'.repeat(11)}b`,
      `${'x/'.repeat(400)}${'a'.repeat(3000)}d`,
      `x/${'y/'.repeat(500)}${'y'.repeat(3000)}`,
    ];
    const t0 = performance.now();
    for (const p of long) {
      // all near misses, except 'c' at the end: a real match of the 4th pattern
      const want = p.endsWith('c');
      assert.equal(ig.ignores(p, false), want, p.slice(0, 40));
      assert.equal(ig.ignores(p, true), want);
    }
    const ms = performance.now() - t0;
    // the regex the first pattern used to compile to took 2.4 s on a 100-character run of 'a' and
    // grows as n^5 (years at 4,000); the matcher does all of the above in well under a second
    // (most of it looking for a .dvcignore in each of the 400-500 directories)
    // (the bound is loose so a loaded CI machine passes; the old regex would take years here)
    assert.ok(ms < 30_000, `adversarial matching took ${ms.toFixed(0)} ms`);
    // the patterns still match what they say
    assert.equal(ig.ignores('q/w/aXaXaXaXaXab', false), true);
    assert.equal(ig.ignores('aaaaaaaaaaaaab', false), true);
    assert.equal(ig.ignores('k/x/m/n/yyyyyz', false), true);
    assert.equal(ig.ignores('y/yyyyyz', false), false, 'the x segment is required');
  } finally { t.cleanup(); }
});

test('matcher edge cases: classes, escapes, ?, trailing **, **/** collapse, dir-only', () => {
  const t = makeTmpDir();
  try {
    writeTree(t.dir, {
      '.dvcignore': ['[!a-c]x.txt', '\\*lit', 'q?.bin', 'deep/**', '**/**/mid/**/end', 'nest/', 'sp\\ ', '[z-a]none', 'a[]]b', '\\#hash', '#comment'].join('\n') + '\n',
    });
    const ig = loadDvcIgnore(t.dir);
    const yes = ['dx.txt', 'p/dx.txt', '*lit', 'q1.bin', 'deep/x', 'deep/x/y', 'mid/end', 'a/b/mid/c/d/end', 'sp ', 'a]b', '#hash'];
    const no = ['ax.txt', 'cx.txt', 'xlit', 'q12.bin', 'q/.bin', 'deep', 'mid/endx', 'sp', 'anone', 'comment', '#comment'];
    for (const p of yes) assert.equal(ig.ignores(p, false), true, p);
    for (const p of no) assert.equal(ig.ignores(p, false), false, p);
    assert.equal(ig.ignores('nest', true), true);
    assert.equal(ig.ignores('nest', false), false);
    assert.equal(ig.ignores('x/nest/f', false), true, 'inside an ignored directory');
  } finally { t.cleanup(); }
});

/** The gitignore -> regex translation the matcher replaced, as the reference for small inputs. */
function referenceRegex(pattern: string): RegExp {
  const seg2re = (seg: string) => seg.replace(/\*+/g, '*').split('').map((c) => (c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c)).join('')
    .replace(/\[\^\/\]\[!/g, '[^/][^').replace(/\[!/g, '[^');
  let p = pattern;
  const anchored = p.includes('/');
  if (p.startsWith('/')) p = p.slice(1);
  const segs = p.split('/');
  let body = '';
  segs.forEach((s, i) => {
    const last = i === segs.length - 1;
    if (s === '**') { body += last ? '.*' : '(?:.*/)?'; return; }
    body += seg2re(s) + (last ? '' : '/');
  });
  return new RegExp(anchored ? `^${body}$` : `^(?:.*/)?${body}$`, 'u');
}

test('the matcher agrees with the regex translation on small random patterns and paths', () => {
  const t = makeTmpDir();
  try {
    let seed = 12345;
    const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
    const ptoks = ['a', 'b', '*', '?', '[ab]', '[!a]'];
    let checked = 0;
    for (let k = 0; k < 400; k++) {
      const nseg = 1 + rnd(3);
      const segs: string[] = [];
      for (let i = 0; i < nseg; i++) {
        if (rnd(4) === 0) { segs.push('**'); continue; }
        let s = '';
        for (let j = 0, n = 1 + rnd(3); j < n; j++) s += ptoks[rnd(ptoks.length)];
        segs.push(s);
      }
      const pattern = (rnd(3) === 0 ? '/' : '') + segs.join('/');
      writeTree(t.dir, { '.dvcignore': pattern + '\n' });
      const ig = loadDvcIgnore(t.dir);
      const re = referenceRegex(pattern);
      for (let m = 0; m < 25; m++) {
        const parts: string[] = [];
        for (let i = 0, n = 1 + rnd(4); i < n; i++) { let s = ''; for (let j = 0, l = 1 + rnd(3); j < l; j++) s += 'ab'[rnd(2)]; parts.push(s); }
        const path = parts.join('/');
        // `ignores` also applies the rule to each parent directory: compare with the same semantics
        let want = false;
        for (let i = 1; i <= parts.length && !want; i++) want = re.test(parts.slice(0, i).join('/'));
        assert.equal(ig.ignores(path, false), want, `${pattern} vs ${path}`);
        checked++;
      }
    }
    assert.equal(checked, 10_000);
  } finally { t.cleanup(); }
});
