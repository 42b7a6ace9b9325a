/**
 * dvc.yaml in DVC 3.x's schema (`dvc/schema.py`): stages with cmd/wdir/deps/params/outs/metrics/
 * plots/frozen/always_changed/desc/meta/vars, top-level vars, `${}` interpolation, foreach/do and
 * matrix (`dvc/parsing/__init__.py`). Errors name the file, line and column.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute as isAbsolutePath, join, relative, resolve, sep } from 'node:path';
import { parseDocument, LineCounter, isMap, isSeq, isScalar, type Document, type Node } from 'yaml';
import { InvalidFileError } from '../../lib/errors.js';
import { assertNotReserved } from '../../lib/safepath.js';
import { PyFloat } from '../../lib/pyjson.js';
import { loadYaml, readParamsFile, type ParamsTree, getDotted } from './params.js';
import { interpolateTree, interpolateString, toStr, type Context, InterpolationError } from './interpolate.js';

export type OutKind = 'outs' | 'metrics' | 'plots';

export interface OutSpec {
  /** As written (after interpolation), relative to wdir. */
  path: string;
  cache: boolean;
  persist: boolean;
  push: boolean;
  remote?: string;
  kind: OutKind;
}

export interface ParamSpec {
  /** Params file relative to wdir. */
  file: string;
  /** Keys tracked; null = the whole file. */
  keys: string[] | null;
}

export interface DepSpec {
  /** As written, relative to wdir. */
  path: string;
  /** Custom fingerprint kind from `meta.geodvc.dep-kinds` (see docs/pipelines.md). */
  kind?: string;
}

export interface StageDef {
  /** Name as addressed in the lock: `chips@256`. */
  name: string;
  /** dvc.yaml path relative to the repo root, `/`-separated. */
  dvcfile: string;
  /** Absolute dir of the dvc.yaml. */
  dir: string;
  /** Absolute working directory. */
  wdir: string;
  cmd: string | string[];
  deps: DepSpec[];
  params: ParamSpec[];
  outs: OutSpec[];
  frozen: boolean;
  alwaysChanged: boolean;
  desc?: string;
  meta?: unknown;
  /** Where the stage is defined (for errors). */
  line: number;
}

export interface DvcYaml {
  /** Absolute path. */
  path: string;
  /** Relative to the repo root, `/`-separated. */
  rel: string;
  stages: StageDef[];
  /** Top-level metrics/params/plots files (relative to the dvc.yaml dir). */
  metrics: string[];
  params: string[];
  plots: unknown[];
}

const STAGE_KEYS = new Set(['cmd', 'wdir', 'deps', 'params', 'outs', 'metrics', 'plots', 'frozen', 'always_changed', 'desc', 'meta', 'vars', 'foreach', 'do', 'matrix']);
const OUT_FLAGS = new Set(['cache', 'persist', 'remote', 'push', 'desc', 'type', 'labels', 'meta', 'checkpoint',
  'template', 'x', 'y', 'x_label', 'y_label', 'title', 'header']);
export const DEFAULT_PARAMS_FILE = 'params.yaml';
const JOIN = '@';

function posix(p: string): string { return sep === '/' ? p : p.split(sep).join('/'); }

class Located {
  constructor(readonly doc: Document, readonly lc: LineCounter, readonly file: string) {}
  pos(path: (string | number)[]): { line: number; col: number } {
    let node: unknown = this.doc.contents;
    let best = node as Node | undefined;
    for (let i = 0; i < path.length; i++) {
      const p = path[i];
      if (isMap(node)) {
        const pair = node.items.find((it) => isScalar(it.key) && String(it.key.value) === String(p));
        if (!pair) break;
        best = (pair.key as Node) ?? best;
        node = pair.value;
        if (node && i < path.length - 1) best = node as Node;
      } else if (isSeq(node) && typeof p === 'number') {
        node = node.items[p];
        if (node) best = node as Node;
      } else break;
    }
    const off = best?.range?.[0] ?? 0;
    const lp = this.lc.linePos(off);
    return { line: lp.line, col: lp.col };
  }
  error(path: (string | number)[], msg: string, hint: string): InvalidFileError {
    const { line, col } = this.pos(path);
    return new InvalidFileError(`${this.file}:${line}:${col}: ${msg}`, { hint, details: { file: this.file, line, column: col } });
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof PyFloat);
}

function mergeInto(target: Context, src: Context): void {
  for (const [k, v] of Object.entries(src)) {
    if (isPlainObject(v) && isPlainObject(target[k])) mergeInto(target[k] as Context, v);
    else target[k] = v;
  }
}

/** Loads `vars` entries (files, `file:key1,key2`, inline mappings) into the context. */
function loadVars(vars: unknown, baseDir: string, ctx: Context, loc: Located, path: (string | number)[]): void {
  if (vars === undefined || vars === null) return;
  const list = Array.isArray(vars) ? vars : [vars];
  list.forEach((item, i) => {
    if (isPlainObject(item)) { mergeInto(ctx, interpolateTree(item, ctx, loc.file) as Context); return; }
    if (typeof item !== 'string') throw loc.error([...path, i], '`vars` entries must be file names or mappings', 'write `- params.yaml`, `- other.yaml:key1,key2` or an inline mapping');
    const s = interpolateString(item, ctx, loc.file) as string;
    const m = /^(.*?\.(?:ya?ml|json|toml|py))(?::(.+))?$/.exec(s);
    const file = m?.[1] ?? s;
    const abs = resolve(baseDir, file);
    if (!existsSync(abs)) throw loc.error([...path, i], `vars file '${file}' does not exist`, `create ${file} or remove it from \`vars\``);
    const tree = readParamsFile(abs, file);
    if (m?.[2]) {
      for (const key of m[2].split(',').map((x) => x.trim()).filter(Boolean)) {
        const v = getDotted(tree, key);
        if (v === undefined) throw loc.error([...path, i], `key '${key}' not found in '${file}'`, `add ${key} to ${file}`);
        const sub: Context = {};
        let cur = sub;
        const parts = key.split('.');
        parts.forEach((p, j) => { if (j === parts.length - 1) cur[p] = v; else { cur[p] = {}; cur = cur[p] as Context; } });
        mergeInto(ctx, sub);
      }
    } else mergeInto(ctx, tree);
  });
}

function checkStageKeys(def: Record<string, unknown>, loc: Located, path: (string | number)[]): void {
  for (const k of Object.keys(def)) {
    if (!STAGE_KEYS.has(k)) throw loc.error([...path, k], `unknown stage key '${k}'`, `valid keys: ${[...STAGE_KEYS].join(', ')}`);
  }
}

function parseOuts(list: unknown, kind: OutKind, loc: Located, path: (string | number)[]): OutSpec[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw loc.error(path, `'${kind}' must be a list`, `write each ${kind} path as a list item: \`- path\``);
  return list.map((item, i) => {
    const base: OutSpec = { path: '', cache: true, persist: false, push: true, kind };
    if (typeof item === 'string') return { ...base, path: item };
    const single = isPlainObject(item) && Object.keys(item).length === 1 ? Object.entries(item)[0] : undefined;
    if (single) {
      const [p, flags] = single;
      const f = (flags ?? {}) as Record<string, unknown>;
      if (!isPlainObject(f)) throw loc.error([...path, i], `flags of '${p}' must be a mapping`, 'write e.g. `- out.txt: {cache: false}`');
      for (const k of Object.keys(f)) if (!OUT_FLAGS.has(k)) throw loc.error([...path, i], `unknown flag '${k}' on ${kind} '${p}'`, `valid flags: ${[...OUT_FLAGS].join(', ')}`);
      return { ...base, path: p, cache: f.cache !== false, persist: f.persist === true, push: f.push !== false, remote: typeof f.remote === 'string' ? f.remote : undefined };
    }
    throw loc.error([...path, i], `invalid ${kind} entry`, 'each entry is a path or `path: {flags}`');
  });
}

function parseParams(list: unknown, loc: Located, path: (string | number)[]): ParamSpec[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw loc.error(path, "'params' must be a list", 'write `params: [key1, file.yaml: [key2]]`');
  const byFile = new Map<string, ParamSpec>();
  const add = (file: string, keys: string[] | null) => {
    const cur = byFile.get(file);
    if (!cur) byFile.set(file, { file, keys: keys ? [...keys] : null });
    else if (cur.keys && keys) for (const k of keys) { if (!cur.keys.includes(k)) cur.keys.push(k); }
    else cur.keys = null;
  };
  list.forEach((item, i) => {
    if (typeof item === 'string') add(DEFAULT_PARAMS_FILE, [item]);
    else if (isPlainObject(item)) {
      for (const [file, keys] of Object.entries(item)) {
        if (keys === null || (Array.isArray(keys) && keys.length === 0)) add(file, null);
        else if (Array.isArray(keys) && keys.every((k) => typeof k === 'string')) add(file, keys as string[]);
        else throw loc.error([...path, i], `params of '${file}' must be a list of keys`, `write \`- ${file}: [key1, key2]\``);
      }
    } else throw loc.error([...path, i], 'invalid params entry', 'write a key of params.yaml or `file: [keys]`');
  });
  return [...byFile.values()];
}

function depKinds(meta: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (!isPlainObject(meta)) return out;
  const g = meta.geodvc;
  if (!isPlainObject(g)) return out;
  const kinds = g['dep-kinds'];
  if (isPlainObject(kinds)) for (const [p, k] of Object.entries(kinds)) if (typeof k === 'string') out.set(p, k);
  return out;
}

function buildStage(name: string, def: Record<string, unknown>, file: DvcYamlSource, loc: Located, path: (string | number)[], line: number): StageDef {
  const cmd = def.cmd;
  if (cmd === undefined || cmd === null) throw loc.error(path, `stage '${name}' has no 'cmd'`, 'every stage needs a `cmd:` (a string or a list of strings)');
  if (!(typeof cmd === 'string' || (Array.isArray(cmd) && cmd.every((c) => typeof c === 'string')))) {
    throw loc.error([...path, 'cmd'], `'cmd' of stage '${name}' must be a string or a list of strings`, 'quote the command');
  }
  const wdirRaw = def.wdir === undefined || def.wdir === null ? '.' : String(def.wdir);
  const deps = def.deps ?? [];
  if (!Array.isArray(deps) || !deps.every((d) => typeof d === 'string')) throw loc.error([...path, 'deps'], `'deps' of stage '${name}' must be a list of paths`, 'write `deps: [path1, path2]`');
  const kinds = depKinds(def.meta);
  for (const b of ['frozen', 'always_changed']) {
    if (def[b] !== undefined && typeof def[b] !== 'boolean') throw loc.error([...path, b], `'${b}' must be true or false`, `write \`${b}: true\``);
  }
  const wdir = resolve(file.dir, wdirRaw);
  // issue 17: no stage path (wdir, deps, outs/metrics/plots, params files) may reach into .git or .dvc
  const guard = (p: string, what: string) => {
    assertNotReserved(p, `${what} of stage '${name}' in ${file.rel}:${line}`);
    const r = relative(file.root, resolve(wdir, p));
    if (r && !r.startsWith('..') && !isAbsolutePath(r)) assertNotReserved(posix(r), `${what} of stage '${name}' in ${file.rel}:${line}`);
  };
  guard('.', 'wdir');
  for (const d of deps as string[]) guard(d, `dependency '${d}'`);
  const outs = [
    ...parseOuts(def.outs, 'outs', loc, [...path, 'outs']),
    ...parseOuts(def.metrics, 'metrics', loc, [...path, 'metrics']),
    ...parseOuts(def.plots, 'plots', loc, [...path, 'plots']),
  ];
  for (const o of outs) guard(o.path, `${o.kind === 'outs' ? 'output' : o.kind === 'metrics' ? 'metric' : 'plot'} '${o.path}'`);
  const params = parseParams(def.params, loc, [...path, 'params']);
  for (const pr of params) guard(pr.file, `params file '${pr.file}'`);
  return {
    name,
    dvcfile: file.rel,
    dir: file.dir,
    wdir,
    cmd: cmd as string | string[],
    deps: (deps as string[]).map((p) => ({ path: p, kind: kinds.get(p) })),
    params,
    outs,
    frozen: def.frozen === true,
    alwaysChanged: def.always_changed === true,
    desc: typeof def.desc === 'string' ? def.desc : undefined,
    meta: def.meta,
    line,
  };
}

interface DvcYamlSource { abs: string; rel: string; dir: string; root: string }

function itemKey(v: unknown): string { return toStr(v); }

/** Parses dvc.yaml text. `root` is the repo root (for the relative name). */
export function parseDvcYaml(text: string, absPath: string, root: string): DvcYaml {
  const rel = posix(relative(root, absPath)) || 'dvc.yaml';
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  const loc = new Located(doc, lc, rel);
  const e = doc.errors[0];
  if (e) {
    const p = lc.linePos(e.pos[0]);
    throw new InvalidFileError(`${rel}:${p.line}:${p.col}: invalid YAML: ${e.message.split('\n')[0]}`, {
      hint: `fix the syntax at line ${p.line}, column ${p.col} of ${rel}`, details: { file: rel, line: p.line, column: p.col },
    });
  }
  const raw = (loadYaml(text, rel) ?? {}) as Record<string, unknown>;
  if (!isPlainObject(raw)) throw loc.error([], 'dvc.yaml must be a mapping', 'start with `stages:`');
  for (const k of Object.keys(raw)) {
    if (!['stages', 'vars', 'params', 'metrics', 'plots', 'artifacts', 'datasets'].includes(k)) {
      throw loc.error([k], `unknown top-level key '${k}'`, 'valid keys: stages, vars, params, metrics, plots, artifacts, datasets');
    }
  }
  const src: DvcYamlSource = { abs: absPath, rel, dir: dirname(absPath), root: resolve(root) };
  const ctx: Context = {};
  const defaultParams = join(src.dir, DEFAULT_PARAMS_FILE);
  if (existsSync(defaultParams)) mergeInto(ctx, readParamsFile(defaultParams, posix(relative(root, defaultParams))));
  loadVars(raw.vars, src.dir, ctx, loc, ['vars']);

  const stagesRaw = raw.stages ?? {};
  if (!isPlainObject(stagesRaw)) throw loc.error(['stages'], "'stages' must be a mapping of stage names", 'write `stages:` then `  name:` blocks');
  const stages: StageDef[] = [];
  const seen = new Set<string>();
  const push = (s: StageDef, path: (string | number)[]) => {
    if (seen.has(s.name)) throw loc.error(path, `duplicate stage name '${s.name}'`, 'rename one of the stages');
    seen.add(s.name);
    stages.push(s);
  };
  for (const [name, defRaw] of Object.entries(stagesRaw)) {
    const path = ['stages', name];
    const line = loc.pos(path).line;
    if (!/^[^@:/\\#]+$/.test(name)) throw loc.error(path, `invalid stage name '${name}'`, "stage names cannot contain '@', ':', '/', '\\' or '#'");
    if (!isPlainObject(defRaw)) throw loc.error(path, `stage '${name}' must be a mapping`, 'give the stage at least a `cmd:`');
    checkStageKeys(defRaw, loc, path);
    const where = `${rel}:${line}: stage '${name}'`;
    const stageCtx: Context = structuredCloneCtx(ctx);
    const wrap = <T>(fn: () => T): T => {
      try { return fn(); } catch (e) {
        if (e instanceof InterpolationError) throw loc.error(path, e.message.replace(/^[^:]*:\d+:\s*/, ''), e.hint ?? '');
        throw e;
      }
    };
    if (defRaw.vars !== undefined) loadVars(defRaw.vars, typeof defRaw.wdir === 'string' ? resolve(src.dir, defRaw.wdir) : src.dir, stageCtx, loc, [...path, 'vars']);
    if (defRaw.foreach !== undefined) {
      if (!isPlainObject(defRaw.do)) throw loc.error(path, `stage '${name}' has 'foreach' without a 'do' mapping`, 'add `do:` with the stage template');
      const iter = wrap(() => typeof defRaw.foreach === 'string' ? interpolateString(defRaw.foreach as string, stageCtx, where) : interpolateTree(defRaw.foreach, stageCtx, where));
      const entries: [string, unknown, string | undefined][] = [];
      if (Array.isArray(iter)) {
        const composite = iter.some((x) => typeof x === 'object' && x !== null && !(x instanceof PyFloat));
        iter.forEach((x, i) => entries.push([composite ? String(i) : itemKey(x), x, undefined]));
      } else if (isPlainObject(iter)) {
        for (const [k, x] of Object.entries(iter)) entries.push([k, x, k]);
      } else throw loc.error([...path, 'foreach'], `'foreach' of stage '${name}' must be a list or a mapping`, 'write `foreach: [a, b]`, a mapping, or `${var}`');
      for (const [key, item, dictKey] of entries) {
        const c: Context = { ...stageCtx, item };
        if (dictKey !== undefined) c.key = dictKey;
        const def = wrap(() => interpolateTree(defRaw.do, c, `${where}@${key}`)) as Record<string, unknown>;
        checkStageKeys(def, loc, [...path, 'do']);
        push(buildStage(`${name}${JOIN}${key}`, def, src, loc, [...path, 'do'], line), path);
      }
      continue;
    }
    if (defRaw.matrix !== undefined) {
      if (!isPlainObject(defRaw.matrix)) throw loc.error([...path, 'matrix'], `'matrix' of stage '${name}' must be a mapping of lists`, 'write `matrix: {var: [a, b]}`');
      const dims: [string, unknown[]][] = [];
      for (const [v, vals] of Object.entries(defRaw.matrix)) {
        const list = wrap(() => typeof vals === 'string' ? interpolateString(vals, stageCtx, where) : interpolateTree(vals, stageCtx, where));
        if (!Array.isArray(list)) throw loc.error([...path, 'matrix', v], `matrix entry '${v}' must be a list`, `write \`${v}: [a, b]\``);
        dims.push([v, list]);
      }
      let combos: { item: Context; key: string[] }[] = [{ item: {}, key: [] }];
      for (const [v, list] of dims) {
        const next: typeof combos = [];
        for (const c of combos) {
          list.forEach((x, i) => {
            const composite = typeof x === 'object' && x !== null && !(x instanceof PyFloat);
            next.push({ item: { ...c.item, [v]: x }, key: [...c.key, composite ? `${v}${i}` : itemKey(x)] });
          });
        }
        combos = next;
      }
      const template = Object.fromEntries(Object.entries(defRaw).filter(([k]) => k !== 'matrix' && k !== 'vars'));
      for (const c of combos) {
        const key = c.key.join('-');
        const def = wrap(() => interpolateTree(template, { ...stageCtx, item: c.item, key }, `${where}@${key}`)) as Record<string, unknown>;
        push(buildStage(`${name}${JOIN}${key}`, def, src, loc, path, line), path);
      }
      continue;
    }
    const def = wrap(() => interpolateTree(Object.fromEntries(Object.entries(defRaw).filter(([k]) => k !== 'vars')), stageCtx, where)) as Record<string, unknown>;
    push(buildStage(name, def, src, loc, path, line), path);
  }
  const strList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x) => typeof x === 'string') as string[] : []);
  return { path: absPath, rel, stages, metrics: strList(raw.metrics), params: strList(raw.params), plots: Array.isArray(raw.plots) ? raw.plots : [] };
}

function structuredCloneCtx(c: Context): Context {
  // shallow copies per level are enough: interpolation never mutates the context
  return { ...c };
}

export function loadDvcYaml(absPath: string, root: string): DvcYaml {
  return parseDvcYaml(readFileSync(absPath, 'utf8'), absPath, root);
}

/** The addressing DVC prints: `name` for the root dvc.yaml, `sub/dvc.yaml:name` otherwise. */
export function stageAddress(s: Pick<StageDef, 'name' | 'dvcfile'>): string {
  return s.dvcfile === 'dvc.yaml' ? s.name : `${s.dvcfile}:${s.name}`;
}

export type { ParamsTree };
