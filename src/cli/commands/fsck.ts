import type { CommandModule, CliContext } from '../types.js';

export function configureFsck(cmd: import('commander').Command): void {
  cmd.option('--fast', 'compare sizes and modes, re-hash only a random sample')
    .option('--sample <rate>', 'with --fast: fraction re-hashed (default 0.05)', (v) => Number(v))
    .option('-a, --all-branches', 'objects used by every branch must be present')
    .option('-T, --all-tags', 'objects used by every tag must be present')
    .option('-A, --all-commits', 'objects used by every commit must be present')
    .option('--rev <rev>', 'objects used by this revision must be present')
    .option('--repair', 'fetch missing and corrupted objects again from the remotes (default, then core.fallback_remotes)')
    .option('--repair-from <name>', 'remote to repair the cache from (default: core.remote, then core.fallback_remotes)')
    .option('-r, --remote <name>', 'check the objects on this remote instead of the cache (--repair uploads good local copies)')
    .option('-c, --cloud', 'check the objects on the default remote instead of the cache')
    .option('-j, --jobs <n>', 'parallel transfers for -c', (v) => Number(v))
    .option('--no-quarantine', 'leave corrupted objects in place (report only)')
    .option('--geo', 'run the raster integrity check on every tracked raster of the workspace')
    .option('--wait-for-lock', 'wait for another geodvc process instead of failing');
}

export async function runFsck(ctx: CliContext, opts: Record<string, any>): Promise<number> {
  const { openRepo } = await import('../../core/api/repo.js');
  const { fsck, fsckExitCode } = await import('../../core/api/fsck.js');
  const { UsageError } = await import('../../lib/errors.js');
  const repo = await openRepo(ctx.cwd);
  if (opts.sample !== undefined && !(opts.sample > 0 && opts.sample <= 1)) throw new UsageError('--sample must be a fraction in (0, 1]', { hint: 'e.g. `--fast --sample 0.1`' });
  const revs = ['workspace'];
  if (opts.allBranches || opts.allTags || opts.allCommits || opts.rev) {
    const { gcRevisions } = await import('../../core/api/gc.js');
    revs.push(...gcRevisions(repo, { allBranches: opts.allBranches, allTags: opts.allTags, allCommits: opts.allCommits, revs: opts.rev ? [opts.rev] : [] }).filter((r) => r !== 'workspace'));
  }
  if (opts.cloud || opts.remote) {
    const { fsckRemote } = await import('../../core/api/fsck.js');
    const name = opts.remote as string | undefined;
    const rr = await fsckRemote(repo, name, { revs, fast: !!opts.fast, repair: !!opts.repair, jobs: opts.jobs, signal: ctx.signal, onProgress: ctx.onProgress, logger: ctx.logger });
    const openR = rr.problems.filter((p) => !p.repaired).length;
    if (ctx.json) { ctx.outJson({ ...rr, exitCode: openR ? 1 : 0 }); return openR ? 1 : 0; }
    for (const p of rr.problems) {
      ctx.out([`${p.kind.toUpperCase()}: ${p.message}`, ...p.paths.slice(0, 5).map((x) => `    used by ${x}`), ...(p.repaired ? ['    repaired from the local cache'] : p.repairError ? [`    not repaired: ${p.repairError}`] : [])].join('\n'), true);
    }
    ctx.out(`Checked ${rr.checked} objects on remote '${rr.remote}'${opts.fast ? ' (presence and size only)' : ''}: ${rr.problems.length} problem${rr.problems.length === 1 ? '' : 's'}${rr.repaired ? `, ${rr.repaired} repaired` : ''}.`);
    if (openR && !opts.repair) ctx.info('hint: `geodvc fsck -r REMOTE --repair` uploads good local copies');
    return openR ? 1 : 0;
  }
  const res = await fsck(repo, {
    fast: !!opts.fast, sampleRate: opts.sample, revs, repair: !!opts.repair, remote: opts.repairFrom, quarantine: opts.quarantine !== false,
    geo: !!opts.geo, waitForLock: opts.waitForLock ? true : undefined, signal: ctx.signal, onProgress: ctx.onProgress, logger: ctx.logger,
  });
  const code = fsckExitCode(res);
  if (ctx.json) { ctx.outJson({ ...res, exitCode: code }); return code; }
  for (const p of res.problems) {
    const lines = [`${p.kind.toUpperCase()}: ${p.message}`];
    for (const u of p.uses) lines.push(`    used by ${u.path} (${u.dvcfile}${u.rev === 'workspace' ? ', workspace' : `, rev ${u.rev.slice(0, 8)}`})`);
    if (!p.uses.length) lines.push('    not used by any .dvc/dvc.lock entry');
    if (p.quarantinedTo) lines.push(`    moved to ${p.quarantinedTo}`);
    if (p.repaired) lines.push('    repaired from the remote');
    else if (p.repairError) lines.push(`    not repaired: ${p.repairError}`);
    ctx.out(lines.join('\n'), true);
  }
  for (const g of res.geo) {
    if (g.ok) { ctx.out(`geo ok: ${g.file}`); continue; }
    ctx.out(`GEO: ${g.file}: ${g.problems.filter((x) => x.severity === 'error').map((x) => x.message).join('; ') || 'problems found'}`, true);
  }
  const open = res.problems.filter((p) => !p.repaired).length;
  ctx.out(`Checked ${res.checked} objects (${res.hashed} hashed${res.fast ? ', fast mode' : ''}): ${res.ok} ok, ${res.problems.length} problem${res.problems.length === 1 ? '' : 's'}${res.repaired ? `, ${res.repaired} repaired` : ''}${res.geo.filter((g) => !g.ok).length ? `, ${res.geo.filter((g) => !g.ok).length} damaged raster(s) in the workspace` : ''}.`);
  if (open && !opts.repair) ctx.info('hint: run `geodvc fsck --repair` to fetch good copies from the remotes');
  return code;
}

export const command: CommandModule = {
  path: ['fsck'],
  describe: 'verify every cache object (or --fast), report corrupted/missing ones with their users, quarantine, --repair from remotes',
  configure: configureFsck,
  run: (ctx, _args, opts) => runFsck(ctx, opts),
};
