import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatG, renderMdTable } from './show.js';
import { expandTabs } from '../remote/list.js';

test("formatG is Python's f'{x:.5g}' (values checked with python3)", () => {
  const cases: [number, string][] = [
    [-0.04999999999999999, '-0.05'], [0.050000000000000044, '0.05'], [123456.7, '1.2346e+05'], [0.0001234, '0.0001234'],
    [0.00001234, '1.234e-05'], [100000, '1e+05'], [99999.5, '1e+05'], [1.5, '1.5'], [2, '2'], [0.25, '0.25'], [3.14159265, '3.1416'],
  ];
  for (const [x, want] of cases) assert.equal(formatG(x, 5), want, String(x));
});

test('renderMdTable: tabulate github format as DVC prints --md (header + 2 minimum width, left-aligned)', () => {
  assert.equal(renderMdTable(['Path', 'Param', 'HEAD~1', 'workspace'], [['params.json', 'model.depth', '3', '4']]),
    '| Path        | Param       | HEAD~1   | workspace   |\n|-------------|-------------|----------|-------------|\n| params.json | model.depth | 3        | 4           |\n');
});

test('expandTabs: 8-column tab stops (DVC remote list)', () => {
  assert.equal(expandTabs('store\t/tmp/dvc-goldens-remote\t(default)'), 'store   /tmp/dvc-goldens-remote (default)');
  assert.equal(expandTabs('web\thttps://example.com/dvc'), 'web     https://example.com/dvc');
  assert.equal(expandTabs('exactly8\tx'), 'exactly8        x');
});
