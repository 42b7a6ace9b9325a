import type { CommandModule } from '../types.js';

export const command: CommandModule = {
  path: ['dag'],
  describe: 'show the stage graph (text, --dot or --mermaid)',
  configure(cmd) {
    cmd.argument('[target]', 'show only this stage and its upstream')
      .option('--dot', 'print Graphviz dot')
      .option('--mermaid', 'print a Mermaid flowchart')
      .option('--md', 'print the Mermaid flowchart in a markdown code block')
      .option('--full', 'with a target: include its downstream stages too');
  },
  async run(ctx, args, opts) {
    const { buildDag, dagToDot, dagToMermaid, dagToText } = await import('../../core/api/dag.js');
    const d = buildDag(ctx.cwd, args[0], { full: !!opts.full });
    if (ctx.json) { ctx.outJson(d); return; }
    if (opts.dot) ctx.out(dagToDot(d), true);
    else if (opts.mermaid || opts.md) ctx.out(dagToMermaid(d, !!opts.md), true);
    else ctx.out(dagToText(d), true);
  },
};
