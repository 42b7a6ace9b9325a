/** `dag`: the stage graph as text, Graphviz dot (as `dvc dag --dot`) or Mermaid. */
import { stageAddress } from '../dvcfile/dvcyaml.js';
import { loadPipeline, resolveTargets, postOrder, downstreamOf } from '../pipeline/graph.js';
import { openPipelineRepo } from '../pipeline/repro.js';

export interface DagResult {
  nodes: string[];
  /** [from, to] in data-flow order: producer -> consumer. */
  edges: [string, string][];
}

export function buildDag(cwd: string, target?: string, opts: { full?: boolean } = {}): DagResult {
  const repo = openPipelineRepo(cwd);
  const p = loadPipeline(repo);
  let nodes = p.stages.map(stageAddress);
  if (target) {
    const t = resolveTargets(p, [target], cwd);
    const keep = new Set(postOrder(p, t));
    if (opts.full) for (const d of downstreamOf(p, t)) keep.add(d);
    nodes = nodes.filter((n) => keep.has(n));
  }
  const set = new Set(nodes);
  const edges: [string, string][] = [];
  for (const n of nodes) for (const u of p.upstream.get(n) ?? []) if (set.has(u)) edges.push([u, n]);
  edges.sort((a, b) => nodes.indexOf(a[0]) - nodes.indexOf(b[0]) || nodes.indexOf(a[1]) - nodes.indexOf(b[1]));
  return { nodes, edges };
}

export function dagToDot(d: DagResult): string {
  const q = (s: string) => `"${s.replace(/"/g, '\\"')}"`;
  return ['strict digraph  {', ...d.nodes.map((n) => `${q(n)};`), ...d.edges.map(([a, b]) => `${q(a)} -> ${q(b)};`), '}', ''].join('\n');
}

export function dagToMermaid(d: DagResult, markdown = false): string {
  const ids = new Map(d.nodes.map((n, i) => [n, `node${i + 1}`]));
  const lines = ['flowchart TD', ...d.nodes.map((n) => `\t${ids.get(n)}["${n}"]`), ...d.edges.map(([a, b]) => `\t${ids.get(a)}-->${ids.get(b)}`)];
  const body = lines.join('\n');
  return markdown ? '```mermaid\n' + body + '\n```' : body;
}

/** A plain text rendering: each stage with the stages it feeds, in run order. */
export function dagToText(d: DagResult): string {
  const down = new Map<string, string[]>();
  const hasUp = new Set<string>();
  for (const [a, b] of d.edges) { down.set(a, [...(down.get(a) ?? []), b]); hasUp.add(b); }
  const lines: string[] = [];
  const seen = new Set<string>();
  const walk = (n: string, depth: number) => {
    const again = seen.has(n);
    lines.push(`${'  '.repeat(depth)}${depth ? '└─ ' : '* '}${n}${again && (down.get(n)?.length ?? 0) ? ' (see above)' : ''}`);
    if (again) return;
    seen.add(n);
    for (const m of down.get(n) ?? []) walk(m, depth + 1);
  };
  for (const n of d.nodes) if (!hasUp.has(n)) walk(n, 0);
  return lines.join('\n');
}
