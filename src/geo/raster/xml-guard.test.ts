import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertXmlStructure, MAX_XML_DEPTH, xmlStructureProblem } from './xml-guard.js';
import { InvalidFileError } from '../../lib/errors.js';

const CORPUS = process.env.GEODVC_CORPUS ?? join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..', 'shared', 'corpus');

test('well-nested XML passes: attributes with > and quotes, comments, CDATA, prolog, self-closing tags', () => {
  const xml = `<?xml version="1.0"?>\n<!-- a <comment> -->\n<VRTDataset rasterXSize="2" rasterYSize="2" note='a > b'><SRS dataAxisToSRSAxisMapping="1,2"><![CDATA[<not a tag>]]></SRS><VRTRasterBand band="1"><NoDataValue>0</NoDataValue><ColorTable/></VRTRasterBand></VRTDataset>`;
  assert.equal(xmlStructureProblem(xml), undefined);
  assert.doesNotThrow(() => assertXmlStructure(xml, 'ok.vrt'));
});

test('every corpus VRT passes the guard', (t) => {
  const vrts = existsSync(CORPUS) ? readdirSync(CORPUS).filter((f) => f.endsWith('.vrt')) : [];
  if (!vrts.length) { if (process.env.CI === 'true') throw new Error(`no corpus at ${CORPUS}`); t.skip('no corpus'); return; }
  for (const f of vrts) assert.equal(xmlStructureProblem(readFileSync(join(CORPUS, f), 'utf8')), undefined, f);
});

test('too deep, unclosed, mismatched, unterminated and entity-declaring XML are refused with an offset', () => {
  const deep = '<a>'.repeat(MAX_XML_DEPTH + 1) + '</a>'.repeat(MAX_XML_DEPTH + 1);
  assert.deepEqual(xmlStructureProblem(deep), { message: `elements nested more than ${MAX_XML_DEPTH} deep`, offset: MAX_XML_DEPTH * 3 });
  assert.equal(xmlStructureProblem('<a>'.repeat(MAX_XML_DEPTH) + '</a>'.repeat(MAX_XML_DEPTH)), undefined);
  assert.match(xmlStructureProblem('<VRTDataset><VRTRasterBand band="1"></VRTDataset>')!.message, /closing <\/VRTDataset> does not match <VRTRasterBand> opened at offset 12/);
  assert.match(xmlStructureProblem('<VRTDataset><VRTRasterBand band="1">')!.message, /<VRTRasterBand> opened at offset 12 is never closed/);
  assert.match(xmlStructureProblem('<a></a></b>')!.message, /closing <\/b> without an opening tag/);
  assert.match(xmlStructureProblem('<a attr="x>')!.message, /unterminated tag/);
  assert.match(xmlStructureProblem('<a><!-- x</a>')!.message, /unterminated comment/);
  assert.match(xmlStructureProblem('<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')!.message, /internal subset/);
  assert.throws(() => assertXmlStructure('<a>', 'cut.vrt', 'VRT XML'), (e: unknown) => e instanceof InvalidFileError && /^cut\.vrt: VRT XML is malformed: <a> opened at offset 0 is never closed/.test(e.message) && e.details?.offset === 0);
});

test('the guard is linear: 1e6-deep and 100,000 unclosed elements are refused in milliseconds', () => {
  const t0 = performance.now();
  assert.ok(xmlStructureProblem('<Metadata>'.repeat(1_000_000)));
  assert.ok(xmlStructureProblem('<VRTDataset>' + '<MDI key="k">v'.repeat(100_000) + '</VRTDataset>', 1_000_000));
  assert.equal(xmlStructureProblem('<r>' + '<MDI key="k">v</MDI>'.repeat(200_000) + '</r>'), undefined);
  const ms = performance.now() - t0;
  // a super-linear guard would take hours on these inputs; 30 s only keeps a loaded machine from failing it
  assert.ok(ms < 30_000, `${ms} ms`);
});
