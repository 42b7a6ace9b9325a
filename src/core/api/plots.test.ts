import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDelimited, parseRows, plotsDiffRevs, plotsHtml } from './plots.js';

test('parseDelimited reads like csv.DictReader: strings, quotes, doubled quotes, CRLF, short rows', () => {
  assert.deepEqual(parseDelimited('a,b\r\n1,"x,y"\r\n2,"say ""hi"""\n3\n', ','), [
    { a: '1', b: 'x,y' }, { a: '2', b: 'say "hi"' }, { a: '3', b: null },
  ]);
  assert.deepEqual(parseDelimited('step\tacc\n0\t0.5\n', '\t'), [{ step: '0', acc: '0.5' }]);
});

test('parseRows: JSON list, or the first list inside an object', () => {
  assert.deepEqual(parseRows('{"train": [{"loss": 1}]}', 'm.json'), [{ loss: 1 }]);
  assert.throws(() => parseRows('{"a": 1}', 'm.json'), /no list of records/);
});

test('plotsDiffRevs: none -> workspace vs HEAD, one -> workspace then it, two -> as given', () => {
  assert.deepEqual(plotsDiffRevs([]), ['workspace', 'HEAD']);
  assert.deepEqual(plotsDiffRevs(['v1']), ['workspace', 'v1']);
  assert.deepEqual(plotsDiffRevs(['a', 'b']), ['a', 'b']);
});

test('plotsHtml escapes text and keeps </script> out of inline specs', () => {
  const html = plotsHtml({ data: { '<x>': [{ type: 'vega', revisions: ['workspace'], content: { title: { text: '</script><b>' }, encoding: { x: { field: 'a' }, y: { field: 'b' } }, mark: 'point', data: { values: [{ a: 1, b: 2, rev: 'workspace' }] } } }] } });
  assert.doesNotMatch(html, /<\/script><b>/);
  assert.match(html, /&lt;\/script&gt;&lt;b&gt;/);
});
