import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { hashBuffer, hashFile, hashFileSync, initHashers, isTextChunk, parseHashName } from './hash.js';

const B = (s: string) => Buffer.from(s, 'utf8');

// dvc-formats.md §14, file vectors 1-10 and 26
const FILE_VECTORS: [string, string][] = [
  ['foo', 'acbd18db4cc2f85cedef654fccc4a4d8'],
  ['bar', '37b51d194a7513e45b56f6524f2d51f2'],
  ['one', 'f97c5d29941bfb1b2fdab0874906ab82'],
  ['two', 'b8a9f715dbb64fd5c56e7783c6820a61'],
  ['file content', 'd10b4c3ff123b26dc068d43a8bef2d23'],
  ['text', '1cb251ec0d568de6a929b520c4aed8d1'],
  ['text1', 'cef7ccd89dacf1ced6f5ec91d759953f'],
  ['text2', 'fe6123a759017e4a2af4a2d19961ed71'],
  ['new_file_content', '86d049de17c76ac44cdcac146042ec9b'],
  ['file_content', '7f0b6bb0b7e951b7fd2b2a4a326297e1'],
  ['foo\n', 'd3b07384d113edec49eaa6238ad5ff00'],
  ['bar\n', 'c157a79031e1c40f85931829bc5fc552'],
  ['baz\n', '258622b1688250cb619f3c9ccaefb7eb'],
  ['foo content', '6dbda444875c24ec1bbdb433456be11f'],
  ['foo content 1', '8efcb74434c93f295375a9118292fd0c'],
];

test('file vectors 1-10 (md5 of raw bytes)', () => {
  for (const [input, md5] of FILE_VECTORS) assert.equal(hashBuffer(B(input), 'md5'), md5, input);
});

test('vector 26: CRLF file, DVC 3 raw md5 vs legacy dos2unix md5', () => {
  assert.equal(hashBuffer(B('a\r\nb\r\nc'), 'md5'), '17800212205a0baee12dcf34c0748370');
  assert.equal(hashBuffer(B('a\r\nb\r\nc'), 'md5-dos2unix'), 'c32b2057b9bd62caa835386346177935');
});

test('legacy dos2unix: binary chunks are not converted, CRLF split across 1 MiB is kept', () => {
  const bin = Buffer.concat([Buffer.from([0, 1, 2, 13, 10]), randomBytes(100)]);
  assert.equal(hashBuffer(bin, 'md5-dos2unix'), hashBuffer(bin, 'md5'));
  assert.equal(isTextChunk(Buffer.alloc(0)), true);
  assert.equal(isTextChunk(Buffer.from([0x80, 0x81, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48])), true); // 20% non-text
  assert.equal(isTextChunk(Buffer.from([0x80, 0x81, 0x82, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47])), true); // exactly 30%
  assert.equal(isTextChunk(Buffer.from([0x80, 0x81, 0x82, 0x83, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47])), false);
  // 1 MiB - 1 bytes of 'x', then "\r\n": the CR ends chunk 1, the LF starts chunk 2 -> unchanged
  const big = Buffer.concat([Buffer.alloc((1 << 20) - 1, 0x78), B('\r\nz\r\n')]);
  const expected = createHash('md5').update(Buffer.alloc((1 << 20) - 1, 0x78)).update(B('\r')).update(B('\nz\n')).digest('hex');
  assert.equal(hashBuffer(big, 'md5-dos2unix'), expected);
});

test('hashFile streams equal hashBuffer for every algorithm, across chunk boundaries', async () => {
  await initHashers();
  const dir = mkdtempSync(join(tmpdir(), 'geodvc-hash-'));
  try {
    const data = Buffer.concat([randomBytes(3 << 20), B('a\r\nb\r\n'.repeat(1000))]);
    const text = Buffer.from('line\r\n'.repeat(400000));
    for (const [name, buf] of [['bin', data], ['text', text]] as const) {
      const p = join(dir, name);
      writeFileSync(p, buf);
      for (const alg of ['md5', 'sha256', 'xxh128', 'md5-dos2unix'] as const) {
        const r = await hashFile(p, alg);
        assert.equal(r.size, buf.length);
        assert.equal(r.value, hashBuffer(buf, alg), `${name} ${alg}`);
        assert.equal(hashFileSync(p, alg).value, r.value);
      }
    }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('xxh128 matches xxhsum -H2 canonical output', () => {
  assert.equal(hashBuffer(B('foo'), 'xxh128'), '79aef92e83454121ab6e5f64077e7d8a');
  assert.equal(hashBuffer(B(''), 'xxh128'), '99aa06d3014798d86001c324468d497f');
});

test('parseHashName aliases', () => {
  assert.equal(parseHashName('xxhash'), 'xxh128');
  assert.equal(parseHashName('MD5'), 'md5');
  assert.equal(parseHashName('sha256'), 'sha256');
  assert.equal(parseHashName('crc'), undefined);
});
