import type { CommandModule } from '../types.js';

export const command: CommandModule = {
  path: ['check-ignore'],
  describe: 'show whether paths are excluded by .dvcignore (and by which pattern, with -d)',
  configure(cmd) {
    cmd.argument('[targets...]', 'paths to check')
      .option('-d, --details', 'show the pattern that decides each path: FILE:LINE:PATTERN<TAB>PATH')
      .option('-a, --all', 'with -d: every matching pattern, not only the deciding one')
      .option('-n, --non-matching', 'with -d: also list paths no pattern matches (as ::<TAB>PATH)')
      .option('--stdin', 'read the paths from standard input, one per line');
  },
  async run(ctx, [targets], opts) {
    const { UsageError } = await import('../../lib/errors.js');
    let paths: string[] = targets ?? [];
    if (opts.stdin) {
      if (paths.length) throw new UsageError('--stdin takes no path arguments', { hint: 'pass the paths on standard input, one per line' });
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      paths = Buffer.concat(chunks).toString('utf8').split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l !== '');
    } else if (!paths.length) {
      throw new UsageError('check-ignore needs at least one path (or --stdin)', { hint: 'geodvc check-ignore [-d] PATH...' });
    }
    if ((opts.nonMatching || opts.all) && !opts.details) {
      throw new UsageError(`${opts.nonMatching ? '--non-matching' : '--all'} is only supported with -d/--details`, { hint: 'add -d' });
    }
    const { checkIgnore } = await import('../../core/api/check-ignore.js');
    const res = await checkIgnore({ cwd: ctx.cwd, targets: paths, signal: ctx.signal });
    // DVC: exit 0 when a pattern matched any path, 1 when none did.
    const matched = res.some((r) => r.patterns.length > 0);
    if (ctx.json) { ctx.outJson(res); return matched ? 0 : 1; }
    for (const r of res) {
      if (opts.details) {
        if (!r.patterns.length) { if (opts.nonMatching) ctx.out(`::\t${r.path}`, true); continue; }
        for (const p of opts.all ? r.patterns : r.patterns.slice(-1)) ctx.out(`${p}\t${r.path}`, true);
      } else if (r.ignored) ctx.out(r.path, true);
    }
    return matched ? 0 : 1;
  },
};
