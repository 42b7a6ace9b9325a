import type { CommandModule } from '../../types.js';
import { addLevelOptions, levelFromOpts, rootFor } from './_shared.js';

export const command: CommandModule = {
  path: ['remote', 'list'],
  aliases: ['ls'],
  describe: 'list remotes (name, url; credentials are never shown)',
  configure(cmd) { addLevelOptions(cmd); },
  async run(ctx, _args, opts) {
    const { listRemotes } = await import('../../../core/api/repo.js');
    const level = levelFromOpts(opts);
    const root = level === 'global' || level === 'system' ? undefined : rootFor(ctx.cwd, level);
    const remotes = listRemotes({ root, level });
    if (ctx.json) { ctx.outJson(remotes); return; }
    // DVC writes `name\turl[\t(default)]` through rich, which expands tabs to 8-column stops.
    for (const r of remotes) ctx.out(expandTabs(`${r.name}\t${r.url}${r.default ? '\t(default)' : ''}`), true);
  },
};

/** Python's `str.expandtabs(8)` (what DVC's rich console does to the tab-separated columns). */
export function expandTabs(line: string, width = 8): string {
  let out = '';
  for (const ch of line) {
    if (ch === '\t') out += ' '.repeat(width - ([...out].length % width));
    else out += ch;
  }
  return out;
}
