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
      .option('--all-experiments', 'keep what experiments (refs/exps) use')
      .option('--keep-run-cache', 'keep the outputs run-cache entries record (DVC does not; without it a later repro may run a stage again instead of restoring it)')
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
    const { openRepo } = await import('../../core/api/repo.js');
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
    // DVC's warning, word for word (golden 14), printed before anything is removed.
    let scopeText = 'the workspace';
    if (opts.allCommits) scopeText += ' and all git commits';
    else if (opts.allBranches && opts.allTags) scopeText += ' and all git branches and tags';
    else if (opts.allBranches) scopeText += ' and all git branches';
    else if (opts.allTags) scopeText += ' and all git tags';
    else if (opts.date) scopeText += ` and all git commits on or after ${opts.date}`;
    else if (opts.rev) scopeText += ` and last ${opts.num ?? 1} commits from ${opts.rev}`;
    if (opts.allExperiments) scopeText += ' and all experiments';
    if (!ctx.json) ctx.warn(`This will remove all cache except items used in ${scopeText} of the current repo.`);
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
      ignoreMissingManifests: !!opts.skipFailed, keepRunCache: !!opts.keepRunCache, signal: ctx.signal, onProgress: ctx.onProgress, logger: ctx.logger,
    });
    if (ctx.json) { ctx.outJson(res); return; }
    if (ctx.verbose) for (const r of res.removed) ctx.info(`${res.dry ? 'would remove' : 'removed'} ${r.hashName} ${r.oid} (${human(r.size)})`);
    if (res.missingManifests.length) ctx.warn(`${res.missingManifests.length} used director${res.missingManifests.length === 1 ? 'y' : 'ies'} not expanded (manifest missing): ${res.missingManifests.join(', ')}`);
    // DVC reports per object database: 'repo' (files/<algo>), 'local' (the same directory, seen
    // again after the first pass: a dry run counts the same objects twice), 'legacy' (DVC 2 layout).
    const legacy = res.removed.filter((r) => r.hashName === 'md5-dos2unix').length;
    const current = res.removed.length - legacy;
    const line = (n: number, odb: string) => ctx.out(n ? `Removed ${n} objects from ${odb} cache.` : `No unused '${odb}' cache to remove.`);
    line(current, 'repo');
    line(res.dry ? current : 0, 'local');
    line(legacy, 'legacy');
    // What was kept and why, when nothing was freed (or with -v).
    if (!res.removed.length || ctx.verbose) {
      ctx.info(`Kept ${res.keptObjects} objects: ${res.keptBy.revisions} used by the workspace${res.revs.length > 1 ? ` and ${res.revs.length - 1} other revision(s) asked for` : ''}${res.keptBy.runCache ? `, ${res.keptBy.runCache} more recorded by the run-cache (--keep-run-cache)` : ''}.`);
    }
    if (res.experimentOnlyRemoved) ctx.info(`${res.dry ? 'Would remove' : 'Removed'} ${res.experimentOnlyRemoved} objects only experiments used (refs/exps); keep them with --all-experiments.`);
    if (res.runCacheEntriesWithoutOutputs && (ctx.verbose || res.removed.length)) {
      ctx.info(`${res.runCacheEntriesWithoutOutputs} run-cache entr${res.runCacheEntriesWithoutOutputs === 1 ? 'y points' : 'ies point'} at outputs no longer in the cache: repro runs those stages instead of restoring them (as DVC); --keep-run-cache keeps them.`);
    }
    if (res.tempFilesRemoved) ctx.out(`Removed ${res.tempFilesRemoved} temp files of interrupted writes.`);
    if (res.cloud) {
      if (res.cloud.removed.length === 0) ctx.out(`No unused cache to remove from remote '${res.cloud.remote}'.`);
      else ctx.out(`${res.dry ? 'Would remove' : 'Removed'} ${res.cloud.removed.length} objects from remote '${res.cloud.remote}'.`);
    }
  },
};
