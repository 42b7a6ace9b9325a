import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['data', 'status'],
  describe: 'tracked data changes: committed (vs git HEAD), uncommitted (workspace vs .dvc/dvc.lock), not in cache',
  configure(cmd) {
    cmd.option('--granular', 'list the files inside changed directories too')
      .option('--unchanged', 'also list unchanged outputs')
      .option('--untracked-files [mode]', 'list files git does not track: all (default with the flag), normal or no')
      .option('--not-in-remote', 'also list recorded data the remote lacks')
      .option('-r, --remote <name>', 'remote for --not-in-remote (default: core.remote)');
  },
  async run(ctx, _args, opts) {
    const { UsageError } = await import('../../../lib/errors.js');
    const mode = opts.untrackedFiles === undefined ? 'no' : opts.untrackedFiles === true ? 'all' : String(opts.untrackedFiles);
    if (!['all', 'normal', 'no'].includes(mode)) throw new UsageError(`invalid --untracked-files mode '${mode}'`, { hint: 'use all, normal or no' });
    if (opts.remote && !opts.notInRemote) throw new UsageError('-r/--remote is only used with --not-in-remote', { hint: 'add --not-in-remote' });
    const { dataStatus } = await import('../../../core/api/data-status.js');
    const res = await dataStatus({
      cwd: ctx.cwd, granular: !!opts.granular, unchanged: !!opts.unchanged, untrackedFiles: mode as 'all' | 'normal' | 'no',
      notInRemote: !!opts.notInRemote, remote: opts.remote, signal: ctx.signal, onProgress: ctx.onProgress, logger: ctx.logger,
    });
    if (ctx.json) { ctx.outJson(res); return; }
    const blocks: string[] = [];
    const list = (title: string, hint: string, items: string[]) => { if (items.length) blocks.push(`${title}:\n  (${hint})\n${items.map((p) => `        ${p}`).join('\n')}`); };
    const changes = (c: Record<string, unknown> | undefined) => Object.entries(c ?? {}).flatMap(([k, v]) => (v as unknown[]).map((p) => `${`${k}:`.padEnd(10)}${typeof p === 'string' ? p : `${(p as { old: string }).old} -> ${(p as { new: string }).new}`}`));
    list('Not in cache', 'use "geodvc fetch <file>..." to download files', res.not_in_cache ?? []);
    list('Not in remote', 'use "geodvc push <file>..." to upload files', res.not_in_remote ?? []);
    list('DVC committed changes', 'git commit the corresponding dvc files to update the repo', changes(res.committed as Record<string, unknown>));
    list('DVC uncommitted changes', 'use "geodvc commit <file>..." to track changes', changes(res.uncommitted as Record<string, unknown>));
    list('Untracked files', 'use "git add <file> ..." or "geodvc add <file>..." to commit to git or to dvc', res.untracked ?? []);
    list('DVC unchanged files', 'unchanged since the last commit', res.unchanged ?? []);
    if (!blocks.length) { ctx.out('No changes.'); return; }
    ctx.out(blocks.join('\n\n'));
  },
};
