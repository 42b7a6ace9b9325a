import type { CommandModule, CliContext } from '../types.js';
import { transferOptions, transferArgs, plural, chunkSummary } from './push.js';

export function reportFetchProblems(ctx: CliContext, res: { failed: { paths: string[]; oid: string; message: string }[]; corrupt: { oid: string; remote: string; paths: string[]; actual: string; quarantined?: string }[] }): void {
  for (const c of res.corrupt) ctx.warn(`object ${c.oid} on remote '${c.remote}' is corrupted (its content hashes to ${c.actual}); used by ${c.paths.join(', ')}; bad copy kept in ${c.quarantined}`);
  for (const f of res.failed) ctx.warn(`failed to fetch ${f.paths[0] ?? f.oid} (${f.oid}): ${f.message}`);
}

export const command: CommandModule = {
  path: ['fetch'],
  describe: 'download tracked data from a remote into the cache (verified; fallback remotes on failure)',
  configure: transferOptions,
  async run(ctx, args, opts) {
    const { fetch } = await import('../../core/api/fetch.js');
    const res = await fetch(transferArgs(ctx, args, opts));
    if (ctx.json) ctx.outJson(res);
    const cs = chunkSummary(res.chunked, false);
    if (cs) ctx.info(cs);
    reportFetchProblems(ctx, res);
    if (!ctx.json) ctx.out(res.fetched === 0 && res.failed.length === 0 ? 'Everything is up to date.' : `${plural(res.fetched, 'file')} fetched`);
    if (res.failed.length) {
      ctx.warn(`${plural(res.failed.length, 'object')} could not be fetched; run the command again to retry`);
      return 1;
    }
    return 0;
  },
};
