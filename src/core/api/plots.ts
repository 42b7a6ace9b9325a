/**
 * `plots show` / `plots diff`: DVC 3's plots as vega-lite specs with the data inline, for the
 * workspace and git revisions, and an offline HTML report of them.
 *
 * Plot definitions: the top-level `plots:` list of every dvc.yaml (a bare path; `path: {props}`;
 * or `id: {x: {file: field}, y: {file: field}, ...}` taking x and y from different files) and the
 * stages' `plots:` outputs; or, given targets that no definition names, the files themselves with
 * the default properties. Properties: `template` (linear by default; scatter, confusion), `x`
 * (default: a generated `step` index, which replaces a column of that name), `y` (default: the
 * last field of the first row), `title`, `x_label`, `y_label`. Data files: JSON (a list of
 * records, or the first list in an object), YAML, CSV and TSV (values stay strings, as Python's
 * csv module reads them). Each answer entry is `{type: 'vega', revisions, content}` where
 * `content` is the complete vega-lite spec; the rows carry a `rev` field, revisions in the order
 * asked for (`plots diff REV` compares `workspace` then REV).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { openPipelineRepo } from '../pipeline/repro.js';
import { findDvcFiles, loadPipeline } from '../pipeline/graph.js';
import { loadYaml } from '../dvcfile/params.js';
import { readAtRev } from './params.js';
import { writeFileAtomicSync } from '../../lib/atomic.js';
import { InvalidFileError, UsageError } from '../../lib/errors.js';
import type { OpContext } from '../../lib/progress.js';

export const INDEX_FIELD = 'step';
/** DVC's revision colours, in order. */
export const REV_COLORS = ['#945dd6', '#13adc7', '#f46837', '#48bb78', '#4299e1', '#ed8936', '#f56565'];
export const TEMPLATES = ['linear', 'scatter', 'confusion'] as const;

type Row = Record<string, unknown>;

export interface PlotDef {
  id: string;
  /** Files whose rows are drawn (one for a plain plot). */
  files: string[];
  template: string;
  /** Field name, or per-file fields for a multi-file plot. */
  x?: string | Record<string, string>;
  y?: string | Record<string, string>;
  title?: string;
  xLabel?: string;
  yLabel?: string;
}

export interface PlotEntry { type: 'vega'; revisions: string[]; content: Record<string, unknown> }
export interface PlotsResult { data: Record<string, PlotEntry[]>; errors?: { id: string; rev: string; message: string }[] }

export interface PlotsOptions extends OpContext {
  cwd: string;
  /** Plot ids or data files; empty: every defined plot. */
  targets?: string[];
  /** Revisions to draw (`workspace` = the working tree). */
  revs?: string[];
}

const posix = (p: string) => p.split(sep).join('/');

function fromProps(id: string, file: string | undefined, props: Record<string, unknown>): PlotDef {
  const def: PlotDef = { id, files: [], template: typeof props.template === 'string' ? props.template : 'linear' };
  for (const k of ['x', 'y'] as const) {
    const v = props[k];
    if (typeof v === 'string') def[k] = v;
    else if (v && typeof v === 'object' && !Array.isArray(v)) {
      const m: Record<string, string> = {};
      for (const [f, field] of Object.entries(v)) m[f] = Array.isArray(field) ? String(field[0]) : String(field);
      def[k] = m;
    }
  }
  if (typeof props.title === 'string') def.title = props.title;
  if (typeof props.x_label === 'string') def.xLabel = props.x_label;
  if (typeof props.y_label === 'string') def.yLabel = props.y_label;
  const files = new Set<string>();
  if (file) files.add(file);
  for (const k of ['x', 'y'] as const) { const v = def[k]; if (v && typeof v === 'object') for (const f of Object.keys(v)) files.add(f); }
  def.files = [...files];
  return def;
}

/** The plots defined in the repository's dvc.yaml files (paths relative to the repo root). */
export function definedPlots(root: string, tmpDir?: string): PlotDef[] {
  const defs: PlotDef[] = [];
  const { yamls } = findDvcFiles(root, tmpDir);
  for (const y of yamls) {
    const dir = dirname(y);
    const rel = (p: string) => posix(relative(root, resolve(dir, p)));
    let raw: unknown;
    try { raw = loadYaml(readFileSync(y, 'utf8'), posix(relative(root, y))); } catch { continue; }
    const plots = (raw as { plots?: unknown })?.plots;
    if (!Array.isArray(plots)) continue;
    for (const item of plots) {
      if (typeof item === 'string') { defs.push(fromProps(rel(item), rel(item), {})); continue; }
      if (!item || typeof item !== 'object') continue;
      for (const [key, val] of Object.entries(item as Record<string, unknown>)) {
        const props = (val && typeof val === 'object' ? val : {}) as Record<string, unknown>;
        const multi = [props.x, props.y].some((v) => v && typeof v === 'object' && !Array.isArray(v));
        if (multi) {
          const def = fromProps(key, undefined, props);
          for (const k of ['x', 'y'] as const) {
            const v = def[k];
            if (v && typeof v === 'object') def[k] = Object.fromEntries(Object.entries(v).map(([f, field]) => [rel(f), field]));
          }
          def.files = def.files.map(rel);
          defs.push(def);
        } else defs.push(fromProps(rel(key), rel(key), props));
      }
    }
  }
  return defs;
}

function stagePlots(cwd: string): PlotDef[] {
  try {
    const repo = openPipelineRepo(cwd);
    const p = loadPipeline(repo);
    const out: PlotDef[] = [];
    for (const s of p.stages) for (const o of s.outs) if (o.kind === 'plots') { const f = posix(relative(repo.root, resolve(s.wdir, o.path))); out.push(fromProps(f, f, {})); }
    return out;
  } catch { return []; }
}

/** Parses a plots data file into rows. */
export function parseRows(text: string, file: string): Row[] {
  const ext = extname(file).toLowerCase();
  if (ext === '.csv' || ext === '.tsv') return parseDelimited(text, ext === '.tsv' ? '\t' : ',');
  let v: unknown;
  try { v = ext === '.json' ? JSON.parse(text) : loadYaml(text, file); } catch (e) {
    throw new InvalidFileError(`${file}: cannot parse plot data: ${(e as Error).message.split('\n')[0]}`, { hint: 'plots read JSON/YAML (a list of records) or CSV/TSV with a header row' });
  }
  const list = findList(v);
  if (!list) throw new InvalidFileError(`${file}: no list of records to plot`, { hint: 'a JSON/YAML plot file holds a list of objects, e.g. [{"step": 0, "loss": 1.0}]' });
  return list.filter((r) => r && typeof r === 'object' && !Array.isArray(r)) as Row[];
}

function findList(v: unknown): unknown[] | undefined {
  if (Array.isArray(v)) return v;
  if (v && typeof v === 'object') for (const x of Object.values(v)) { const l = findList(x); if (l) return l; }
  return undefined;
}

/** Python `csv.DictReader` over `text` (quotes, doubled quotes, CRLF). */
export function parseDelimited(text: string, delim: string): Row[] {
  const records: string[][] = [];
  let field = '';
  let rec: string[] = [];
  let inQ = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inQ) {
      if (c === '"') { if (text[i + 1] === '"') { field += '"'; i++; } else inQ = false; } else field += c;
    } else if (c === '"' && field === '') inQ = true;
    else if (c === delim) { rec.push(field); field = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      rec.push(field); field = '';
      records.push(rec); rec = [];
    } else field += c;
  }
  if (field !== '' || rec.length) { rec.push(field); records.push(rec); }
  const nonEmpty = records.filter((r) => !(r.length === 1 && r[0] === ''));
  const [header, ...rows] = nonEmpty;
  if (!header) return [];
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? null])));
}

function readRows(root: string, file: string, rev: string): Row[] | undefined {
  const text = readAtRev({ root } as Parameters<typeof readAtRev>[0], file, rev === 'workspace' ? undefined : rev);
  if (text === undefined) return undefined;
  return parseRows(text, file);
}

function colorEncoding(revs: string[]): Record<string, unknown> {
  return { field: 'rev', scale: { domain: revs, range: REV_COLORS.slice(0, revs.length) } };
}

function axis(field: string, title: string, extra: Record<string, unknown> = {}) {
  return { field, type: 'quantitative', title, ...extra };
}

/** The first keys of every DVC template's vega-lite spec (in DVC's order). */
function specHead(title: string, values: Row[]) {
  return { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', data: { values }, title: { text: title, anchor: 'middle' }, width: 300, height: 300 };
}

/** The vega-lite spec of DVC's `linear` template. */
function linearSpec(title: string, values: Row[], revs: string[], x: string, y: string, xl: string, yl: string): Record<string, unknown> {
  const yAxis = axis(y, yl, { scale: { zero: false } });
  const color = { field: 'rev', type: 'nominal' };
  return {
    ...specHead(title, values),
    params: [{ name: 'smooth', value: 0.001, bind: { input: 'range', min: 0.001, max: 1, step: 0.001 } }],
    encoding: { x: axis(x, xl), color: colorEncoding(revs), strokeDash: {} },
    layer: [
      {
        layer: [
          { params: [{ name: 'grid', select: 'interval', bind: 'scales' }], mark: 'line' },
          { transform: [{ filter: { param: 'hover', empty: false } }], mark: 'point' },
        ],
        encoding: { y: yAxis, color },
        transform: [{ loess: y, on: x, groupby: ['rev'], bandwidth: { signal: 'smooth' } }],
      },
      { mark: { type: 'line', opacity: 0.2 }, encoding: { x: axis(x, xl), y: yAxis, color } },
      { mark: { type: 'circle', size: 10 }, encoding: { x: { aggregate: 'max', ...axis(x, xl) }, y: { aggregate: { argmax: x }, ...yAxis }, color } },
      {
        transform: [{ calculate: 'datum.rev', as: 'pivot_field' }, { pivot: 'pivot_field', op: 'mean', value: y, groupby: [x] }],
        mark: { type: 'rule', tooltip: { content: 'data' }, stroke: 'grey' },
        encoding: { opacity: { condition: { value: 0.3, param: 'hover', empty: false }, value: 0 } },
        params: [{ name: 'hover', select: { type: 'point', fields: [x], nearest: true, on: 'mouseover', clear: 'mouseout' } }],
      },
    ],
  };
}

/** DVC's `scatter` template. */
function scatterSpec(title: string, values: Row[], revs: string[], x: string, y: string, xl: string, yl: string): Record<string, unknown> {
  return {
    ...specHead(title, values),
    mark: { type: 'point', tooltip: { content: 'data' } },
    params: [{ name: 'grid', select: 'interval', bind: 'scales' }],
    encoding: { x: axis(x, xl), y: axis(y, yl), color: colorEncoding(revs), shape: {}, tooltip: [{ field: 'rev' }, { field: x }, { field: y }] },
  };
}

/** DVC's `confusion` template (x = actual, y = predicted, one facet column per revision). */
function confusionSpec(title: string, values: Row[], x: string, y: string, xl: string, yl: string): Record<string, unknown> {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { values },
    title: { text: title, anchor: 'middle' },
    facet: { column: { field: 'rev', sort: [] }, row: {} },
    params: [{ name: 'showValues', bind: { input: 'checkbox' } }],
    spec: {
      transform: [
        { aggregate: [{ op: 'count', as: 'xy_count' }], groupby: [y, x] },
        { impute: 'xy_count', groupby: ['rev', y], key: x, value: 0 },
        { impute: 'xy_count', groupby: ['rev', x], key: y, value: 0 },
        { joinaggregate: [{ op: 'max', field: 'xy_count', as: 'max_count' }], groupby: [] },
        { calculate: 'datum.xy_count / datum.max_count', as: 'percent_of_max' },
      ],
      encoding: { x: { field: x, type: 'nominal', sort: 'ascending', title: xl }, y: { field: y, type: 'nominal', sort: 'ascending', title: yl } },
      layer: [
        { mark: 'rect', width: 300, height: 300, encoding: { color: { field: 'xy_count', type: 'quantitative', title: '', scale: { domainMin: 0, nice: true } } } },
        {
          selection: { label: { type: 'single', on: 'mouseover', encodings: ['x', 'y'], empty: 'none', clear: 'mouseout' } },
          mark: 'rect',
          encoding: {
            tooltip: [{ field: x, type: 'nominal' }, { field: y, type: 'nominal' }, { field: 'xy_count', type: 'quantitative' }],
            opacity: { condition: { selection: 'label', value: 1 }, value: 0 },
          },
        },
        { transform: [{ filter: { selection: 'label' } }], layer: [{ mark: { type: 'rect', color: 'lightpink' } }] },
        {
          mark: 'text',
          encoding: {
            text: { condition: { param: 'showValues', field: 'xy_count', type: 'quantitative' } },
            color: { condition: { test: 'datum.percent_of_max > 0.5', value: 'white' }, value: 'black' },
          },
        },
      ],
    },
  };
}

/** Rows of one plot at one revision, with x/y resolved (undefined: no data there). */
function plotRows(root: string, def: PlotDef, rev: string): { rows: Row[]; x: string; y: string } | undefined {
  if (def.x && typeof def.x === 'object' || def.y && typeof def.y === 'object') {
    // x from one file, y from another: rows of the y file, x taken from the x file's row at the same index.
    const xm = typeof def.x === 'object' ? def.x : undefined;
    const ym = typeof def.y === 'object' ? def.y : undefined;
    if (!ym) throw new UsageError(`plot '${def.id}': y must name a file and a field when x does`, { hint: 'e.g. y: {data.csv: acc}' });
    const [yFile, yField] = Object.entries(ym)[0]!;
    const yRows = readRows(root, yFile, rev);
    if (!yRows) return undefined;
    let xField = INDEX_FIELD;
    let xRows: Row[] | undefined;
    if (xm) { const [xf, f] = Object.entries(xm)[0]!; xField = f; xRows = readRows(root, xf, rev); if (!xRows) return undefined; }
    else if (typeof def.x === 'string') xField = def.x;
    const rows = yRows.map((r, i) => ({ [xField]: xRows ? xRows[i]?.[xField] : typeof def.x === 'string' ? r[xField] : i, [yField]: r[yField] }));
    return { rows, x: xField, y: yField };
  }
  const file = def.files[0]!;
  const data = readRows(root, file, rev);
  if (!data) return undefined;
  const x = typeof def.x === 'string' ? def.x : INDEX_FIELD;
  const rows = typeof def.x === 'string' ? data.map((r) => ({ ...r })) : data.map((r, i) => ({ ...r, [INDEX_FIELD]: i }));
  const last = Object.keys(data[0] ?? {}).filter((k) => k !== x).pop() ?? x;
  const y = typeof def.y === 'string' ? def.y : last;
  return { rows, x, y };
}

function specFor(def: PlotDef, values: Row[], revs: string[], x: string, y: string): Record<string, unknown> {
  const title = def.title ?? def.id;
  const xl = def.xLabel ?? x;
  const yl = def.yLabel ?? y;
  switch (def.template) {
    case 'linear': return linearSpec(title, values, revs, x, y, xl, yl);
    case 'scatter': return scatterSpec(title, values, revs, x, y, xl, yl);
    case 'confusion': return confusionSpec(title, values, x, y, xl, yl);
    default:
      throw new UsageError(`plot '${def.id}': template '${def.template}' is not supported`, { hint: `use one of: ${TEMPLATES.join(', ')}` });
  }
}

function selectPlots(root: string, cwd: string, tmpDir: string | undefined, targets: string[]): PlotDef[] {
  const defined = [...definedPlots(root, tmpDir), ...stagePlots(cwd)];
  const unique = new Map<string, PlotDef>();
  for (const d of defined) if (!unique.has(d.id)) unique.set(d.id, d);
  if (!targets.length) return [...unique.values()];
  const out: PlotDef[] = [];
  for (const t of targets) {
    const rel = posix(relative(root, resolve(cwd, t)));
    const hit = unique.get(t) ?? unique.get(rel);
    if (hit) { out.push(hit); continue; }
    out.push(fromProps(rel, rel, {}));
  }
  return out;
}

/** `plots show` (revs: workspace) and `plots diff` (revs given). */
export function plots(opts: PlotsOptions): PlotsResult {
  const repo = openPipelineRepo(opts.cwd);
  const revs = opts.revs?.length ? opts.revs : ['workspace'];
  const defs = selectPlots(repo.root, opts.cwd, repo.tmpDir, opts.targets ?? []);
  const res: PlotsResult = { data: {} };
  for (const def of defs) {
    const values: Row[] = [];
    const present: string[] = [];
    let x = INDEX_FIELD;
    let y = '';
    for (const rev of revs) {
      let got;
      try { got = plotRows(repo.root, def, rev); } catch (e) {
        if (e instanceof UsageError) throw e;
        (res.errors ??= []).push({ id: def.id, rev, message: (e as Error).message });
        continue;
      }
      if (!got) continue;
      present.push(rev);
      x = got.x;
      y ||= got.y;
      for (const r of got.rows) values.push({ ...r, rev });
    }
    if (!present.length) {
      if (opts.targets?.length && !existsSync(resolve(opts.cwd, def.files[0] ?? def.id)) && revs.length === 1 && revs[0] === 'workspace') {
        throw new UsageError(`'${def.id}' is neither a plot nor a file`, { hint: 'name a plot id from dvc.yaml or a JSON/YAML/CSV/TSV file' });
      }
      continue;
    }
    res.data[def.id] = [{ type: 'vega', revisions: revs, content: specFor(def, values, revs, x, y) }];
  }
  return res;
}

/** `plots diff [REV...]`: one revision compares the workspace with it; none compares with HEAD. */
export function plotsDiffRevs(revs: string[]): string[] {
  if (revs.length === 0) return ['workspace', 'HEAD'];
  if (revs.length === 1) return ['workspace', revs[0]!];
  return revs;
}

// ---------------------------------------------------------------------------------------------
// Offline HTML report: every spec inline (for vega-lite tools) plus a self-drawn SVG of the data.

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]!));

function num(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

function svgXY(values: Row[], revs: string[], x: string, y: string, lines: boolean): string {
  const W = 360, H = 300, L = 50, B = 30, T = 10, R = 10;
  const pts = values.map((r) => ({ x: num(r[x]), y: num(r[y]), rev: String(r.rev) })).filter((p) => p.x !== undefined && p.y !== undefined) as { x: number; y: number; rev: string }[];
  if (!pts.length) return '<p>(no numeric data)</p>';
  const [x0, x1] = [Math.min(...pts.map((p) => p.x)), Math.max(...pts.map((p) => p.x))];
  const [y0, y1] = [Math.min(...pts.map((p) => p.y)), Math.max(...pts.map((p) => p.y))];
  const sx = (v: number) => L + ((v - x0) / (x1 - x0 || 1)) * (W - L - R);
  const sy = (v: number) => H - B - ((v - y0) / (y1 - y0 || 1)) * (H - B - T);
  const parts: string[] = [
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#888"/>`, `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#888"/>`,
    `<text x="${(W + L) / 2}" y="${H - 5}" text-anchor="middle" font-size="11">${esc(x)} (${x0} – ${x1})</text>`,
    `<text x="12" y="${(H - B) / 2}" font-size="11" transform="rotate(-90 12 ${(H - B) / 2})" text-anchor="middle">${esc(y)} (${y0} – ${y1})</text>`,
  ];
  revs.forEach((rev, i) => {
    const color = REV_COLORS[i % REV_COLORS.length];
    const mine = pts.filter((p) => p.rev === rev);
    if (lines && mine.length > 1) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${mine.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ')}"/>`);
    for (const p of mine) parts.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3" fill="${color}"><title>${esc(rev)}: ${p.x}, ${p.y}</title></circle>`);
    parts.push(`<text x="${W - R - 4}" y="${T + 12 + i * 14}" text-anchor="end" font-size="11" fill="${color}">${esc(rev)}</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" role="img">${parts.join('')}</svg>`;
}

function confusionTable(values: Row[], revs: string[], x: string, y: string): string {
  return revs.map((rev) => {
    const rows = values.filter((r) => r.rev === rev);
    const xs = [...new Set(rows.map((r) => String(r[x])))].sort();
    const ys = [...new Set(rows.map((r) => String(r[y])))].sort();
    const count = (a: string, b: string) => rows.filter((r) => String(r[x]) === a && String(r[y]) === b).length;
    const max = Math.max(1, ...xs.flatMap((a) => ys.map((b) => count(a, b))));
    const head = `<tr><th>${esc(y)} \\ ${esc(x)}</th>${xs.map((a) => `<th>${esc(a)}</th>`).join('')}</tr>`;
    const body = ys.map((b) => `<tr><th>${esc(b)}</th>${xs.map((a) => { const n = count(a, b); return `<td style="background:rgba(148,93,214,${(n / max).toFixed(2)})">${n}</td>`; }).join('')}</tr>`).join('');
    return `<table class="cm"><caption>${esc(rev)}</caption>${head}${body}</table>`;
  }).join('');
}

/** A self-contained HTML page (no scripts or styles from the network). */
export function plotsHtml(res: PlotsResult, title = 'geodvc plots'): string {
  const sections: string[] = [];
  let i = 0;
  for (const [id, entries] of Object.entries(res.data)) {
    for (const e of entries) {
      const c = e.content as Record<string, any>;
      const values = (c.data?.values ?? []) as Row[];
      let body: string;
      if (c.facet) {
        const enc = c.spec?.encoding ?? {};
        body = confusionTable(values, e.revisions, enc.x?.field, enc.y?.field);
      } else {
        const x = c.encoding?.x?.field as string;
        const y = (c.encoding?.y?.field ?? c.layer?.[0]?.encoding?.y?.field) as string;
        body = svgXY(values, e.revisions, x, y, !c.mark);
      }
      const specId = `spec-${i++}`;
      sections.push(`<section><h2>${esc(String(c.title?.text ?? id))}</h2>${body}<details><summary>vega-lite spec</summary><pre>${esc(JSON.stringify(c, null, 2))}</pre></details><script type="application/json" id="${specId}">${JSON.stringify(c).replace(/</g, '\\u003c')}</script></section>`);
    }
  }
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<style>body{font-family:sans-serif;margin:1em}section{display:inline-block;vertical-align:top;margin:0 1em 1em 0;border:1px solid #ddd;padding:.5em}table.cm{border-collapse:collapse;margin:.3em}table.cm td,table.cm th{border:1px solid #ccc;padding:4px 8px;text-align:center}pre{max-height:20em;overflow:auto;font-size:11px}</style>
</head><body><h1>${esc(title)}</h1>
${sections.join('\n') || '<p>No plots.</p>'}
</body></html>
`;
}

/** Writes the report to `<dir>/index.html` and returns its path. */
export function writePlotsHtml(res: PlotsResult, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'index.html');
  writeFileAtomicSync(file, plotsHtml(res));
  return file;
}
