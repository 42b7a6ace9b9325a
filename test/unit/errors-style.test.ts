/**
 * Error codes and the one message style (CONTRIBUTING.md, "Errors"): every ErrorCode has a
 * documented meaning (ERROR_CODES in src/lib/errors.ts), and every AppError raised in src/ with a
 * literal message reads "what failed: why" — starts lower-case (unless with a name such as GDAL,
 * TIFF or a quoted path), no "Error:" prefix, no trailing period or whitespace, one line — and
 * carries a hint (passed, or given by the error class).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { AppError, ERROR_CODES, UsageError, type ErrorCode } from '../../src/lib/errors.js';

// not from test/helpers/cli.ts: importing it builds dist/, which this static check does not need
const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SRC = join(REPO_ROOT, 'src');

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** Error classes and where their message argument is (the others take the code first). */
const CODE_FIRST = new Set(['AppError', 'PathError', 'StorageError']);
/** Classes that set a hint themselves, or take it as a required argument. */
const OWN_HINT = new Set(['StorageError', 'GitError', 'NotARepoError', 'InternalError', 'InterruptedError', 'InitError', 'InterpolationError', 'ExperimentError', 'CycleError', 'StageJobFailedError', 'MissingParamsError', 'StageFailedError', 'MissingDependencyError']);
const APP_ERRORS = new Set([...CODE_FIRST, ...OWN_HINT, 'UsageError', 'ConfigError', 'InvalidFileError', 'LockError', 'GdalError', 'NativeGdalError']);

/** Known exceptions, by file and message text (`{}` for an interpolation), each with its reason. */
const STYLE_EXCEPTIONS: Record<string, string> = {
  "src/core/api/checkout.ts Can't remove the following unsaved files without confirmation:\n{}{}": "DVC's own wording and layout (one path a line), kept for users and scripts that know it",
};
const HINT_EXCEPTIONS: Record<string, string> = {
  // src/geo/** belongs to the geo engineers: reported to them, to be given hints there
  'src/geo/engine/runner.ts {} failed: {}': 'geo engine (owned elsewhere)',
  'src/geo/engine/runner.ts the native GDAL process did not start': 'geo engine (owned elsewhere)',
  'src/geo/engine/runner.ts runner closed': 'geo engine (owned elsewhere)',
  'src/geo/ops/gdal.ts {} failed: {}': 'geo ops (owned elsewhere)',
  'src/geo/ops/reproject.ts cannot open the warp VRT': 'geo ops (owned elsewhere)',
};
const key = (s: Site) => `${s.where.replace(/:\d+$/, '')} ${s.text ?? ''}`;

const ERROR_NEW = new RegExp(`new (${[...APP_ERRORS].join('|')})\\(`);

interface Site { where: string; cls: string; text?: string; hasHint: boolean }
/** A literal `hint: '…'` anywhere in src/ (errors, check problems, warnings). */
interface HintSite { where: string; text: string }
const hints: HintSite[] = [];

/** Static text of a message expression: literals, templates (placeholders as `{}`), `a + b` of those. */
function staticText(e: ts.Expression): string | undefined {
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text;
  if (ts.isTemplateExpression(e)) return e.head.text + e.templateSpans.map((s) => `{}${s.literal.text}`).join('');
  if (ts.isParenthesizedExpression(e)) return staticText(e.expression);
  if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const a = staticText(e.left), b = staticText(e.right);
    return a === undefined && b === undefined ? undefined : `${a ?? '{}'}${b ?? '{}'}`;
  }
  return undefined;
}

function hintGiven(opts: ts.Expression | undefined): boolean {
  if (!opts) return false;
  if (!ts.isObjectLiteralExpression(opts)) return true; // a variable or call: cannot tell statically
  return opts.properties.some((p) => ts.isSpreadAssignment(p) || (p.name !== undefined && ts.isIdentifier(p.name) && p.name.text === 'hint'));
}

function sites(): Site[] {
  const out: Site[] = [];
  for (const file of walk(SRC)) {
    const text = readFileSync(file, 'utf8');
    if (!ERROR_NEW.test(text) && !/\bhint:/.test(text)) continue;
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
    const visit = (n: ts.Node): void => {
      if (ts.isNewExpression(n) && ts.isIdentifier(n.expression) && APP_ERRORS.has(n.expression.text)) {
        const cls = n.expression.text;
        const args = n.arguments ?? [];
        const mi = CODE_FIRST.has(cls) ? 1 : 0;
        const msg = args[mi];
        const where = `${relative(REPO_ROOT, file)}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`;
        out.push({ where, cls, text: msg ? staticText(msg) : undefined, hasHint: OWN_HINT.has(cls) || hintGiven(args[mi + 1]) });
      }
      if (ts.isPropertyAssignment(n) && ts.isIdentifier(n.name) && n.name.text === 'hint') {
        const t = staticText(n.initializer);
        if (t !== undefined) hints.push({ where: `${relative(REPO_ROOT, file)}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`, text: t });
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return out;
}

/** The style rules; returns what is wrong with a message text ('' when fine). */
export function styleProblem(text: string): string {
  if (!text.trim()) return 'empty message';
  if (/^\s|\s$/.test(text)) return 'leading or trailing whitespace';
  if (/\n/.test(text)) return 'more than one line (put details in the hint or details)';
  if (/^(error|fatal|warning)\b\s*:?/i.test(text)) return 'starts with "Error"/"error:" (the CLI prints that prefix)';
  if (/[^.]\.$/.test(text) || /^\.$/.test(text)) return 'ends with a period';
  // Capitalised first word that is an ordinary word (not GDAL, TIFF, COPC, EPSG:…, LAZ, …)
  if (/^[A-Z][a-z]+\b/.test(text) && !/^(Python|Zarr|Redis|Azure|Google|Swift|Shapefile|Pascal|Sentinel|Landsat)\b/.test(text)) return 'starts with a capital letter';
  return '';
}

/** The hint rules: true when the hint breaks them. */
function hintProblem(t: string): boolean {
  return !t.trim() || /\n/.test(t) || /[^\s.]\.$/.test(t) || (/^[A-Z][a-z]+\b/.test(t) && !/^(GeoJSON|Python|Zarr|Redis|Azure|Google|Swift|Shapefile|Pascal)\b/.test(t));
}

const all = sites();

test('every ErrorCode has a documented meaning, and codes are kebab-case', () => {
  const codes = Object.keys(ERROR_CODES) as ErrorCode[];
  assert.ok(codes.length > 50);
  for (const c of codes) {
    assert.match(c, /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, c);
    const meaning = ERROR_CODES[c];
    assert.ok(meaning.length >= 10 && !meaning.endsWith('.'), `${c}: meaning "${meaning}"`);
  }
  assert.equal(new Set(Object.values(ERROR_CODES)).size, codes.length, 'two codes share one meaning: merge them');
});

test('every code raised in src/ is in ERROR_CODES (also type-checked)', () => {
  const used = new Set<string>();
  for (const file of walk(SRC)) for (const m of readFileSync(file, 'utf8').matchAll(/new (?:AppError|PathError)\(\s*'([a-z0-9-]+)'/g)) used.add(m[1]!);
  assert.ok(used.size > 20);
  for (const c of used) assert.ok(Object.hasOwn(ERROR_CODES, c), `code '${c}' is raised but not documented in ERROR_CODES`);
});

test('AppError messages in src/ follow the style: lower-case start, no "Error:" prefix, no trailing period, one line', () => {
  const literal = all.filter((s) => s.text !== undefined);
  assert.ok(literal.length > 500, `found ${literal.length} error sites`);
  const bad = literal.filter((s) => !STYLE_EXCEPTIONS[key(s)]).map((s) => ({ ...s, problem: styleProblem(s.text!) })).filter((s) => s.problem);
  assert.deepEqual(bad.map((s) => `${s.where} ${s.problem}: ${s.text}`), []);
});

test('AppErrors raised in src/ carry a hint (passed, or set by their class)', () => {
  const missing = all.filter((s) => !s.hasHint && !HINT_EXCEPTIONS[key(s)]);
  assert.deepEqual(missing.map((s) => `${s.where} ${s.cls}: ${s.text ?? '(dynamic message)'}`), []);
});

test('hints read as what to do: lower-case start (or a name), one line, no trailing period', () => {
  assert.ok(hints.length > 300, `found ${hints.length} hints`);
  // a trailing '.' after a space is a listed character ("use letters, digits, -, _ and ."), not a period
  const bad = hints.filter((h) => hintProblem(h.text));
  assert.deepEqual(bad.map((h) => `${h.where}: ${h.text}`), []);
});

test('every listed exception still exists (remove it once the message is fixed)', () => {
  const keys = new Set(all.map(key));
  for (const k of [...Object.keys(STYLE_EXCEPTIONS), ...Object.keys(HINT_EXCEPTIONS)]) assert.ok(keys.has(k), `stale exception: ${k}`);
});

test('the style rules catch what they should', () => {
  assert.equal(styleProblem("cannot read 'a.tif': not a TIFF"), '');
  assert.equal(styleProblem('GDAL refused the file'), '');
  assert.match(styleProblem('Error: bad'), /Error/);
  assert.match(styleProblem('cannot read it.'), /period/);
  assert.match(styleProblem('Cannot read it'), /capital/);
  assert.match(styleProblem('two\nlines'), /line/);
  assert.equal(styleProblem('wait...'), '');
  assert.equal(hintProblem('run `geodvc fetch`, then the diff again'), false);
  assert.equal(hintProblem('use letters, digits, -, _ and .'), false);
  assert.equal(hintProblem('Run it again.'), true);
  assert.equal(hintProblem('run it again.'), true);
  const e = new UsageError('bad flag', { hint: 'use --x' });
  assert.ok(e instanceof AppError);
  assert.deepEqual(e.toJSON(), { error: 'usage', message: 'bad flag', hint: 'use --x' });
});
