/**
 * Collects the stages of every dvc.yaml in the repo and builds the DAG: a stage depends on
 * another when one of its deps overlaps (same path, parent or child) one of the other's outs.
 * Fails on a cycle (naming it), on one output declared by two stages and on an output that
 * overlaps an out tracked by a `.dvc` file.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { AppError, PathError } from '../../lib/errors.js';
import { loadDvcYaml, stageAddress, type DvcYaml, type StageDef } from '../dvcfile/dvcyaml.js';
import { loadYaml } from '../dvcfile/params.js';
import { findRepoRoot, openRepoSync } from '../repo/repo.js';

export interface PipelineRepo {
  root: string;
  dvcDir: string;
  tmpDir: string;
  cacheDir: string;
  noScm?: boolean;
}

/** Opens the repository containing `cwd` (the repository engineer's `openRepoSync`), or undefined. */
export function findPipelineRepo(cwd: string): PipelineRepo | undefined {
  if (!findRepoRoot(cwd)) return undefined;
  return openRepoSync(cwd);
}

export class CycleError extends AppError {
  constructor(cycle: string[]) {
    super('pipeline-cycle', `pipeline has a cycle: ${cycle.join(' -> ')}`, 1, {
      hint: 'a stage cannot depend, directly or through others, on its own outputs; remove one of these deps',
      details: { cycle },
    });
  }
}

export interface DvcFileOut { dvcfile: string; abs: string; path: string }

/**
 * Walks the repo for dvc.yaml and .dvc files (skips .git, .dvc and node_modules). The result is
 * memoised in `<tmpDir>/dvcfiles.json` with the mtime of every directory walked: adding or removing
 * an entry changes its directory's mtime, so a memo whose directories all kept their mtimes is
 * still exact, and only those directories need a stat.
 */
export function findDvcFiles(root: string, tmpDir?: string): { yamls: string[]; dotDvc: string[] } {
  const memoPath = tmpDir ? join(tmpDir, 'dvcfiles.json') : undefined;
  if (memoPath) {
    try {
      const memo = JSON.parse(readFileSync(memoPath, 'utf8')) as { root: string; dirs: Record<string, number>; yamls: string[]; dotDvc: string[] };
      if (memo.root === root && Object.entries(memo.dirs).every(([d, m]) => { try { return statSync(join(root, d)).mtimeMs === m; } catch { return false; } })) {
        return { yamls: memo.yamls.map((y) => join(root, y)), dotDvc: memo.dotDvc.map((y) => join(root, y)) };
      }
    } catch { /* no memo */ }
  }
  const yamls: string[] = [];
  const dotDvc: string[] = [];
  const dirs: Record<string, number> = {};
  const walk = (dir: string) => {
    let entries;
    try { dirs[relative(root, dir)] = statSync(dir).mtimeMs; entries = readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      if (e.isDirectory()) {
        if (e.name === '.git' || e.name === '.dvc' || e.name === 'node_modules') continue;
        walk(join(dir, e.name));
      } else if (e.name === 'dvc.yaml') yamls.push(join(dir, e.name));
      else if (e.name.endsWith('.dvc')) dotDvc.push(join(dir, e.name));
    }
  };
  walk(root);
  yamls.sort();
  if (memoPath) {
    try {
      mkdirSync(tmpDir!, { recursive: true });
      writeFileSync(memoPath, JSON.stringify({ root, dirs, yamls: yamls.map((y) => relative(root, y)), dotDvc: dotDvc.map((y) => relative(root, y)) }));
    } catch { /* memo only */ }
  }
  return { yamls, dotDvc };
}

export interface Pipeline {
  repo: PipelineRepo;
  files: DvcYaml[];
  stages: StageDef[];
  /** stage address -> addresses of the stages it depends on. */
  upstream: Map<string, string[]>;
  byAddress: Map<string, StageDef>;
}

export function absOf(s: StageDef, p: string): string { return resolve(s.wdir, p); }

function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(b + sep) || b.startsWith(a + sep);
}

function readDotDvcOuts(root: string, files: string[]): DvcFileOut[] {
  const out: DvcFileOut[] = [];
  for (const f of files) {
    try {
      const d = loadYaml(readFileSync(f, 'utf8'), relative(root, f)) as any;
      const wdir = resolve(f, '..', d?.wdir ?? '.');
      for (const o of d?.outs ?? []) if (o?.path) out.push({ dvcfile: relative(root, f), abs: resolve(wdir, String(o.path)), path: String(o.path) });
    } catch { /* the data engineer's commands report broken .dvc files */ }
  }
  return out;
}

/** Loads every stage and builds the graph, validating outputs and cycles. */
export function loadPipeline(repo: PipelineRepo): Pipeline {
  const { yamls, dotDvc } = findDvcFiles(repo.root, repo.tmpDir);
  const files = yamls.map((y) => loadDvcYaml(y, repo.root));
  const stages = files.flatMap((f) => f.stages);
  const byAddress = new Map(stages.map((s) => [stageAddress(s), s]));
  // outputs: one owner each
  const outOwner: { abs: string; stage: StageDef; path: string }[] = [];
  for (const s of stages) {
    for (const o of s.outs) {
      const abs = absOf(s, o.path);
      const rel = relative(repo.root, abs);
      if (rel.startsWith('..')) throw new PathError('out-outside-repo', `output '${o.path}' of stage '${stageAddress(s)}' is outside the repository`, { hint: 'outputs must be inside the repository' });
      for (const other of outOwner) {
        if (overlaps(other.abs, abs)) {
          const same = other.abs === abs;
          throw new PathError('out-duplicated', same
            ? `output '${relative(repo.root, abs)}' is specified in stages '${stageAddress(other.stage)}' and '${stageAddress(s)}'`
            : `output '${relative(repo.root, abs)}' of stage '${stageAddress(s)}' overlaps output '${relative(repo.root, other.abs)}' of stage '${stageAddress(other.stage)}'`,
          { hint: 'each output must belong to exactly one stage; rename one of them' });
        }
      }
      outOwner.push({ abs, stage: s, path: o.path });
    }
  }
  const tracked = readDotDvcOuts(repo.root, dotDvc);
  for (const t of tracked) {
    for (const o of outOwner) {
      if (overlaps(t.abs, o.abs)) {
        throw new PathError('out-overlaps-dvc', `output '${relative(repo.root, o.abs)}' of stage '${stageAddress(o.stage)}' overlaps '${relative(repo.root, t.abs)}' tracked by '${t.dvcfile}'`, {
          hint: `run \`geodvc remove ${t.dvcfile}\` (keeps the data) before making it a stage output, or change the output path`,
        });
      }
    }
  }
  const upstream = new Map<string, string[]>();
  for (const s of stages) {
    const ups = new Set<string>();
    for (const d of s.deps) {
      const abs = absOf(s, d.path);
      for (const o of outOwner) if (o.stage !== s && overlaps(o.abs, abs)) ups.add(stageAddress(o.stage));
    }
    for (const p of s.params) {
      const abs = absOf(s, p.file);
      for (const o of outOwner) if (o.stage !== s && o.abs === abs) ups.add(stageAddress(o.stage));
    }
    upstream.set(stageAddress(s), [...ups]);
  }
  // frozen stages are cut off from their upstream (DVC)
  const graphUp = new Map([...upstream].map(([k, v]) => [k, byAddress.get(k)!.frozen ? [] : v]));
  detectCycle(graphUp);
  return { repo, files, stages, upstream: graphUp, byAddress };
}

export function detectCycle(up: Map<string, string[]>): void {
  const color = new Map<string, number>();
  const stack: string[] = [];
  const visit = (n: string) => {
    color.set(n, 1);
    stack.push(n);
    for (const m of up.get(n) ?? []) {
      const c = color.get(m) ?? 0;
      if (c === 1) {
        const cyc = stack.slice(stack.indexOf(m));
        // report in data-flow order: producer -> consumer
        const flow = [...cyc].reverse();
        throw new CycleError([...flow, ...flow.slice(0, 1)]); // closes the loop on its first stage
      }
      if (c === 0) visit(m);
    }
    stack.pop();
    color.set(n, 2);
  };
  for (const n of up.keys()) if (!color.get(n)) visit(n);
}

/** DFS post-order (upstream first) over `targets` in dvc.yaml order: the order DVC runs them. */
export function postOrder(p: Pipeline, targets: string[], withUpstream = true): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  const visit = (n: string) => {
    if (seen.has(n)) return;
    seen.add(n);
    if (withUpstream) for (const m of p.upstream.get(n) ?? []) visit(m);
    out.push(n);
  };
  for (const t of targets) visit(t);
  return out;
}

/** Stages that depend (transitively) on any of `targets`, targets included. */
export function downstreamOf(p: Pipeline, targets: string[]): Set<string> {
  const down = new Map<string, string[]>();
  for (const [n, ups] of p.upstream) for (const u of ups) down.set(u, [...(down.get(u) ?? []), n]);
  const out = new Set<string>();
  const visit = (n: string) => { if (out.has(n)) return; out.add(n); for (const m of down.get(n) ?? []) visit(m); };
  targets.forEach(visit);
  return out;
}

/** Resolves CLI targets (`name`, `sub/dvc.yaml:name`, `sub/dvc.yaml`, `name@key` or a foreach group name). */
export function resolveTargets(p: Pipeline, targets: string[], cwd: string): string[] {
  const out: string[] = [];
  for (const t of targets) {
    let file: string | undefined;
    let name: string | undefined = t;
    const colon = t.lastIndexOf(':');
    if (colon > 0) { file = t.slice(0, colon); name = t.slice(colon + 1); }
    else if (t.endsWith('dvc.yaml')) { file = t; name = undefined; }
    let fileRel: string | undefined;
    if (file) fileRel = relative(p.repo.root, resolve(cwd, file)).split(sep).join('/');
    else {
      const cwdYaml = relative(p.repo.root, join(cwd, 'dvc.yaml')).split(sep).join('/');
      fileRel = p.files.some((f) => f.rel === cwdYaml) ? cwdYaml : undefined;
    }
    const matches = p.stages.filter((s) => (!fileRel || s.dvcfile === fileRel) && (!name || s.name === name || s.name.startsWith(name + '@')));
    if (!matches.length) {
      throw new PathError('stage-not-found', `stage '${t}' not found`, { hint: `list the stages with \`geodvc stage list\`${fileRel ? ` (looked in ${fileRel})` : ''}` });
    }
    for (const m of matches) { const a = stageAddress(m); if (!out.includes(a)) out.push(a); }
  }
  return out;
}
