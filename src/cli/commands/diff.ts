import type { CommandModule } from '../types.js';

export const command: CommandModule = {
  path: ['diff'],
  describe: 'show tracked data changes between commits, or a commit and the workspace',
  configure(cmd) {
    cmd.argument('[a_rev]', 'old git revision (default: HEAD)')
      .argument('[b_rev]', 'new git revision (default: the workspace)')
      .option('-t, --targets <paths...>', 'limit to these outputs')
      .option('--show-hash', 'show the hash values');
  },
  async run(ctx, args, opts) {
    const { diff } = await import('../../core/api/diff.js');
    const res = await diff({ cwd: ctx.cwd, a: args[0] as string | undefined, b: args[1] as string | undefined, targets: opts.targets, showHash: !!opts.showHash, signal: ctx.signal, onProgress: ctx.onProgress, logger: ctx.logger });
    if (ctx.json) { ctx.outJson(res); return; }
    const sections: [string, string[]][] = [
      ['Added', res.added.map((e) => e.path)],
      ['Deleted', res.deleted.map((e) => e.path)],
      ['Renamed', res.renamed.map((e) => `${e.path.old} -> ${e.path.new}`)],
      ['Modified', res.modified.map((e) => e.path)],
    ];
    const lines: string[] = [];
    for (const [title, list] of sections) {
      if (!list.length) continue;
      lines.push(`${title}:`, ...list.map((p) => `    ${p}`), '');
    }
    const files = (l: { path: string | { new: string } }[]) => l.filter((e) => typeof e.path !== 'string' || !e.path.endsWith('/')).length;
    if (!lines.length) return;
    lines.push(`files summary: ${files(res.added)} added, ${files(res.deleted)} deleted, ${res.renamed.length ? `${res.renamed.length} renamed, ` : ''}${files(res.modified)} modified`);
    ctx.out(lines.join('\n'));
  },
};
