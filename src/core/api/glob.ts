/** `--glob`: expands shell-style patterns (`*`, `?`, `[...]`, `**`) against the workspace. */
import { readdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { PathError } from '../../lib/errors.js';

function segRegex(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 1);
      if (end > i) { let body = seg.slice(i + 1, end); if (body.startsWith('!')) body = '^' + body.slice(1); re += `[${body.replace(/\\/g, '\\\\')}]`; i = end; } else re += '\\[';
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

const hasMagic = (s: string) => /[*?[]/.test(s);

export function globTargets(cwd: string, patterns: string[]): string[] {
  const out = new Set<string>();
  for (const pat of patterns) {
    const abs = isAbsolute(pat) ? pat : resolve(cwd, pat);
    if (!hasMagic(pat)) { out.add(abs); continue; }
    const parts = abs.split('/').filter((p, i) => p !== '' || i === 0);
    const matches: string[] = [];
    const rec = (base: string, idx: number) => {
      if (idx === parts.length) { matches.push(base); return; }
      const part = parts[idx]!;
      if (!hasMagic(part)) { rec(join(base, part), idx + 1); return; }
      let entries;
      try { entries = readdirSync(base, { withFileTypes: true }); } catch { return; }
      if (part === '**') {
        rec(base, idx + 1);
        for (const e of entries) if (e.isDirectory() && !e.name.startsWith('.')) rec(join(base, e.name), idx);
        return;
      }
      const re = segRegex(part);
      for (const e of entries) {
        if (e.name.startsWith('.') && !part.startsWith('.')) continue;
        if (e.name.endsWith('.dvc')) continue;
        if (re.test(e.name)) rec(join(base, e.name), idx + 1);
      }
    };
    rec('/', 1);
    if (!matches.length) throw new PathError('no-match', `'${pat}' matched nothing`, { hint: 'check the pattern (quote it so the shell does not expand it)' });
    for (const m of matches.sort()) out.add(m);
  }
  return [...out];
}
