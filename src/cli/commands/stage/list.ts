import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['stage', 'list'],
  describe: 'list the stages of every dvc.yaml',
  async run(ctx) {
    const { openPipelineRepo } = await import('../../../core/api/repro.js');
    const { loadPipeline } = await import('../../../core/pipeline/graph.js');
    const { stageAddress } = await import('../../../core/dvcfile/dvcyaml.js');
    const p = loadPipeline(openPipelineRepo(ctx.cwd));
    const rows = p.stages.map((s) => ({ stage: stageAddress(s), desc: s.desc ?? '', cmd: s.cmd, deps: s.deps.map((d) => d.path), outs: s.outs.map((o) => o.path), frozen: s.frozen }));
    if (ctx.json) { ctx.outJson(rows); return; }
    const w = Math.max(0, ...rows.map((r) => r.stage.length));
    ctx.out(rows.map((r) => `${r.stage.padEnd(w)}  ${r.desc || (r.outs.length ? 'Outputs ' + r.outs.join(', ') : '')}`.trimEnd()).join('\n'));
  },
};
