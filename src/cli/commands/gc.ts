import type { CommandModule } from '../types.js';

import { formatBytes as human } from '../ui/reporter.js';

export const command: CommandModule = {
  path: ['gc'],
  describe: 'remove cache objects not used by the kept scopes (workspace, branches, tags, commits)',
  configure(cmd) {
    cmd.option('-w, --workspace', 'keep what the workspace uses')
      .option('-a, --all-branches', 'keep what every branch uses')
      .option('-T, --all-tags', 'keep what every tag uses')
      .option('-A, --all-commits', 'keep what every commit uses')
      .option('--all-experiments', 'keep what experiments use (always done)')
      .option('--rev <rev>', 'keep what this revision uses')
      .option('-n, --num <n>', 'with --rev: also the n-1 ancestors', (v) => Number(v))
      .option('--date <date>', 'keep what commits since YYYY-MM-DD use')
      .option('-c, --cloud', 'also remove unused objects from the remote')
      .option('-r, --remote <name>', 'remote for -c (default: core.remote)')
      .option('--dry', 'only print what would be removed')
      .option('-f, --force', 'do not ask for confirmation')
      .option('--skip-failed', 'remove even when a used directory manifest is missing locally')
      .option('-j, --jobs <n>', 'parallel jobs (accepted for DVC compatibility)')
      .option('--wait-for-lock', 'wait for another geodvc process instead of failing');
  },
  async run(ctx, _args, opts) {
    const { openRepo } = await import('../../core/repo/repo.js');
    const { gc, gcRevisions } = await import('../../core/api/gc.js');
    const { UsageError } = await import('../../lib/errors.js');
    const repo = await openRepo(ctx.cwd);
    if (opts.num !== undefined && (!opts.rev || !Number.isInteger(opts.num) || opts.num < 1)) {
      throw new UsageError('-n/--num needs --rev and a positive integer', { hint: 'e.g. `geodvc gc --rev main -n 3`' });
    }
    if (opts.remote && !opts.cloud) throw new UsageError('-r/--remote is only used with -c/--cloud', { hint: 'add -c to also gc the remote' });
    const scopes = {
      workspace: !!opts.workspace, allBranches: !!opts.allBranches, allTags: !!opts.allTags, allCommits: !!opts.allCommits,
      allExperiments: !!opts.allExperiments, revs: opts.rev ? [opts.rev] : [], num: opts.num, date: opts.date,
    };
    gcRevisions(repo, scopes); // validates the scopes before asking anything
    if (!opts.force && !opts.dry) {
      const what = opts.cloud ? 'the cache and the remote' : 'the cache';
      if (!process.stdin.isTTY) {
        throw new UsageError(`gc removes everything in ${what} that the chosen scopes do not use, and needs confirmation`, { hint: 'rerun with -f/--force (or --dry to see what would be removed)' });
      }
      const { createInterface } = await import('node:readline/promises');
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      const answer = await rl.question(`This will remove all of ${what} except what the chosen scopes use. Proceed? [y/N] `);
      rl.close();
      if (!/^y(es)?$/i.test(answer.trim())) { ctx.info('Aborting.'); return 1; }
    }
    const res = await gc(repo, {
      ...scopes, dry: !!opts.dry, cloud: !!opts.cloud, remote: opts.remote, waitForLock: opts.waitForLock ? true : undefined,
      ignoreMissingManifests: !!opts.skipFailed, signal: ctx.signal, onProgress: ctx.onProgress, logger: ctx.logger,
    });
    if (ctx.json) { ctx.outJson(res); return; }
    const verb = res.dry ? 'Would remove' : 'Removed';
    if (ctx.verbose || res.dry) for (const r of res.removed) ctx.out(`${res.dry ? 'would remove' : 'removed'} ${r.hashName} ${r.oid} (${human(r.size)})`);
    if (res.missingManifests.length) ctx.warn(`${res.missingManifests.length} used director${res.missingManifests.length === 1 ? 'y' : 'ies'} not expanded (manifest missing): ${res.missingManifests.join(', ')}`);
    if (res.removed.length === 0) ctx.out("No unused 'local' cache to remove.");
    else ctx.out(`${verb} ${res.removed.length} objects from the cache (${human(res.bytesFreed)}), kept ${res.keptObjects}.`);
    if (res.tempFilesRemoved) ctx.out(`Removed ${res.tempFilesRemoved} temp files of interrupted writes.`);
    if (res.cloud) {
      if (res.cloud.removed.length === 0) ctx.out(`No unused cache to remove from remote '${res.cloud.remote}'.`);
      else ctx.out(`${verb} ${res.cloud.removed.length} objects from remote '${res.cloud.remote}'.`);
    }
  },
};
