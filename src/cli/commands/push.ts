import type { Command } from 'commander';
import type { CommandModule, CliContext } from '../types.js';

/** The flags push, pull and fetch share (DVC's names). */
export function transferOptions(cmd: Command): void {
  cmd.argument('[targets...]', '.dvc files, tracked outputs or paths inside tracked directories (default: all)')
    .option('-r, --remote <name>', 'remote to use (default: the output\'s `remote:`, then core.remote)')
    .option('-j, --jobs <n>', 'objects transferred in parallel (default: the remote\'s `jobs`, else 16)', (v) => Number(v))
    .option('-a, --all-branches', 'also the data of every git branch')
    .option('-T, --all-tags', 'also the data of every git tag')
    .option('-A, --all-commits', 'also the data of every git commit')
    .option('--rev <rev...>', 'also the data of these git revisions');
}

export function transferArgs(ctx: CliContext, args: any[], opts: Record<string, any>) {
  return {
    cwd: ctx.cwd, targets: (args[0] as string[] | undefined) ?? [], remote: opts.remote, jobs: opts.jobs,
    allBranches: !!opts.allBranches, allTags: !!opts.allTags, allCommits: !!opts.allCommits, revs: opts.rev,
    signal: ctx.signal, onProgress: ctx.onProgress, logger: ctx.logger,
  };
}

export const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

const mib = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`);

/** One stderr line on what moved as chunks (chunked remotes, docs/chunking.md). */
export function chunkSummary(c: { objects: number; chunks: number; chunksMoved: number; bytesMoved: number; bytesReused: number } | undefined, sent: boolean): string | undefined {
  if (!c || !c.objects) return undefined;
  return `chunks: ${c.chunksMoved} of ${c.chunks} ${sent ? 'sent' : 'downloaded'} (${mib(c.bytesMoved)}), ${mib(c.bytesReused)} ${sent ? 'already on the remote' : 'taken from the cache'}`;
}

export const command: CommandModule = {
  path: ['push'],
  describe: 'upload tracked data from the cache to a remote (only what the remote lacks)',
  configure(cmd) {
    transferOptions(cmd);
    cmd.option('--whole', 'to a chunked remote: also upload whole objects, so DVC can read them (see docs/chunking.md)');
  },
  async run(ctx, args, opts) {
    const { push } = await import('../../core/api/push.js');
    const res = await push({ ...transferArgs(ctx, args, opts), whole: !!opts.whole });
    if (ctx.json) ctx.outJson(res);
    const cs = chunkSummary(res.chunked, true);
    if (cs) ctx.info(cs);
    for (const r of res.remotes) {
      for (const f of r.failed) ctx.warn(`failed to push ${f.paths[0] ?? f.oid} (${f.oid}): ${f.message}`);
      for (const d of r.dirsHeldBack) ctx.warn(`directory manifest ${d} was not pushed: some of its files are missing from the cache or failed`);
      for (const m of r.missingLocal.slice(0, 20)) ctx.warn(`${m.paths[0] ?? m.oid} (${m.oid}) is missing from the cache and was not pushed`);
      if (r.missingLocal.length > 20) ctx.warn(`... and ${r.missingLocal.length - 20} more objects missing from the cache`);
    }
    if (!ctx.json) {
      if (res.pushed === 0 && res.failed === 0) ctx.out('Everything is up to date.');
      else ctx.out(`${plural(res.pushed, 'file')} pushed`);
    }
    if (res.failed > 0) {
      ctx.warn(`${plural(res.failed, 'object')} failed to push; run the command again to retry them`);
      return 1;
    }
    return 0;
  },
};
