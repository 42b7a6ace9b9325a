/**
 * `check-ignore`: which `.dvcignore` pattern decides each path, as `dvc check-ignore` reports it.
 * Whether a path is ignored comes from `loadDvcIgnore` (the same answer every walk uses); the
 * details (`file:line:pattern`) list the patterns that match the path or one of its parent
 * directories, from the root's `.dvcignore` down to the deepest one, the last being the one that
 * decides (gitignore's last-match-wins).
 */
import { readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { openRepo } from '../repo/repo.js';
import { compileIgnorePattern, loadDvcIgnore, type IgnoreRule } from '../repo/dvcignore.js';
import type { OpContext } from '../../lib/progress.js';

export interface CheckIgnoreOptions extends OpContext { cwd: string; targets: string[] }

export interface CheckIgnoreEntry {
  /** The target as given. */
  path: string;
  /** Ignored after every rule (a negation that re-includes it leaves this false). */
  ignored: boolean;
  /** Every matching pattern as `file:line:pattern`, the deciding one last (empty: none matched). */
  patterns: string[];
}

interface NumberedRule { rule: IgnoreRule; line: number }

/** Whether a compiled rule matches `rel` (the rule's matcher: `test()`, or the older `regex`). */
function ruleMatches(rule: IgnoreRule, rel: string): boolean {
  const r = rule as unknown as { test?: (s: string) => boolean; regex?: RegExp };
  return typeof r.test === 'function' ? r.test(rel) : !!r.regex?.test(rel);
}

export async function checkIgnore(opts: CheckIgnoreOptions): Promise<CheckIgnoreEntry[]> {
  const repo = await openRepo(opts.cwd);
  const ignore = loadDvcIgnore(repo.root);
  const cache = new Map<string, NumberedRule[]>();
  const rulesIn = (dir: string): NumberedRule[] => {
    let r = cache.get(dir);
    if (!r) {
      r = [];
      let text = '';
      try { text = readFileSync(join(repo.root, dir, '.dvcignore'), 'utf8'); } catch { /* none here */ }
      text.split('\n').forEach((l, i) => { const rule = compileIgnorePattern(l); if (rule) r!.push({ rule, line: i + 1 }); });
      cache.set(dir, r);
    }
    return r;
  };
  const out: CheckIgnoreEntry[] = [];
  for (const target of opts.targets) {
    const abs = resolve(opts.cwd, target);
    const rel = relative(repo.root, abs).split(sep).join('/');
    if (rel === '' || rel.startsWith('../') || rel === '..') { out.push({ path: target, ignored: false, patterns: [] }); continue; }
    let isDir = false;
    try { isDir = statSync(abs).isDirectory(); } catch { isDir = target.endsWith('/'); }
    const parts = rel.split('/');
    const patterns: string[] = [];
    // .dvcignore files of '' and of every parent directory of the target, shallowest first.
    for (let d = 0; d < parts.length; d++) {
      const dir = parts.slice(0, d).join('/');
      const rules = rulesIn(dir);
      if (!rules.length) continue;
      const sub = parts.slice(d);
      const file = dir ? `${dir}/.dvcignore` : '.dvcignore';
      for (const { rule, line } of rules) {
        let hit = false;
        for (let k = 1; k <= sub.length && !hit; k++) {
          const prefixIsDir = k < sub.length || isDir;
          if (rule.dirOnly && !prefixIsDir) continue;
          hit = ruleMatches(rule, sub.slice(0, k).join('/'));
        }
        if (hit) patterns.push(`${file}:${line}:${rule.source.replace(/\r$/, '')}`);
      }
    }
    out.push({ path: target, ignored: ignore.ignores(rel, isDir), patterns });
  }
  return out;
}
