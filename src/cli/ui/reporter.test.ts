import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StderrReporter } from './reporter.js';

function capture(): { stream: NodeJS.WriteStream; text: () => string } {
  let out = '';
  const stream = { isTTY: false, write(s: string) { out += s; return true; } } as unknown as NodeJS.WriteStream;
  return { stream, text: () => out };
}

test('a phase ended by the next phase reports its whole count, not the stale first event', () => {
  const c = capture();
  const r = new StderrReporter(true, c.stream);
  r.onProgress({ phase: 'reading', done: 0, total: 2 });
  r.onProgress({ phase: 'planning', done: 0, total: 2, bytesDone: 0, bytesTotal: 10 });
  r.onProgress({ phase: 'warping', done: 2, total: 2, finished: true });
  const lines = c.text().split('\n');
  assert.match(lines[1]!, /^reading: done \(2\/2\) in /);
  assert.match(lines[3]!, /^planning: done \(2\/2, 10 B\) in /);
  assert.match(lines[4]!, /^warping: done \(2\/2\) in /);
  assert.doesNotMatch(c.text(), /\(0\//);
});

test('an explicit finished event keeps its own count (a failed item is not counted as done)', () => {
  const c = capture();
  const r = new StderrReporter(true, c.stream);
  r.onProgress({ phase: 'fetching', done: 0, total: 3 });
  r.onProgress({ phase: 'fetching', done: 2, total: 3, finished: true });
  assert.match(c.text(), /^fetching\.\.\. \(3\)\nfetching: done \(2\/3\) in /);
});

test('a disabled reporter (-q) writes nothing', () => {
  const c = capture();
  const r = new StderrReporter(false, c.stream);
  r.onProgress({ phase: 'reading', done: 0, total: 2 });
  r.onProgress({ phase: 'planning', done: 2, total: 2, finished: true });
  assert.equal(c.text(), '');
});
