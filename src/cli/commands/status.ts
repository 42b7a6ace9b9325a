import type { CommandModule } from '../types.js';

export const command: CommandModule = {
  path: ['status'],
  describe: 'show changed data: workspace vs .dvc files (new, modified, deleted, not in cache)',
  configure(cmd) {
    cmd.argument('[targets...]', 'limit to these .dvc files, outputs or stages')
      .option('-c, --cloud', 'compare the cache with a remote')
      .option('-r, --remote <name>', 'remote to compare with (implies --cloud)')
      .option('-j, --jobs <n>', 'parallel jobs', (v) => Number(v))
      .option('--granular', 'with --json: include per-file changes inside directories');
  },
  async run(ctx, args, opts) {
    const { status } = await import('../../core/api/status.js');
    const res = await status({ cwd: ctx.cwd, targets: (args[0] as string[]) ?? [], cloud: !!opts.cloud, remote: opts.remote, jobs: opts.jobs, signal: ctx.signal, onProgress: ctx.onProgress, logger: ctx.logger });
    if (opts.cloud || opts.remote) {
      const c = res as { kind?: string; json?: unknown; text?: string };
      if (c && c.kind === 'cloud-status') { if (ctx.json) ctx.outJson(c.json); else ctx.out(c.text ?? ''); return; }
      if (ctx.json) ctx.outJson(res);
      else ctx.out(typeof res === 'string' ? res : JSON.stringify(res, null, 2));
      return;
    }
    const r = res as import('../../core/api/status.js').StatusResult;
    if (ctx.json) {
      ctx.outJson(opts.granular ? { ...r.json, granular: r.outputs } : r.json);
      return;
    }
    // VRTs whose sources changed since `add` recorded their hashes (meta.vrt_sources)
    const { findRepoRoot } = await import('../../core/api/repo.js');
    const root = findRepoRoot(ctx.cwd);
    const stale = root ? await (await import('../../core/api/open-vrt.js')).staleVrts(root).catch(() => []) : [];
    for (const s of stale) ctx.out(`stale VRT: ${s.vrt} (sources changed since it was added: ${s.changed.join(', ')})`);
    if (r.clean) { if (!stale.length) ctx.out('Data and pipelines are up to date.'); return 0; }
    const details = new Map(r.outputs.map((o) => [o.path, o]));
    for (const [file, entries] of Object.entries(r.json)) {
      ctx.out(`${file}:`);
      for (const e of entries) {
        if (typeof e === 'string') { ctx.out(`\t${e}`); continue; }
        for (const [group, items] of Object.entries(e as Record<string, unknown>)) {
          ctx.out(`\t${group}:`);
          if (items && typeof items === 'object') {
            for (const [p, st] of Object.entries(items as Record<string, unknown>)) {
              if (st && typeof st === 'object') {
                // a params file: its changed keys below it, as DVC prints them
                ctx.out(`\t\t${p}:`);
                for (const [k, v] of Object.entries(st as Record<string, unknown>)) ctx.out(`\t\t\t${`${String(v)}:`.padEnd(20)}${k}`);
                continue;
              }
              ctx.out(`\t\t${`${String(st)}:`.padEnd(20)}${p}`);
              const d = [...details.values()].find((x) => x.changes && (p === x.path || p.endsWith(x.path)));
              if (d?.changes) {
                for (const f of d.changes.modified) ctx.out(`\t\t\t${'modified:'.padEnd(12)}${p}/${f}`);
                for (const f of d.changes.added) ctx.out(`\t\t\t${'new:'.padEnd(12)}${p}/${f}`);
                // a file absent from the workspace whose object is not in the cache either (e.g. after
                // `pull --bbox`) is "not in cache", not a deletion the user made
                const ch = d.changes;
                const absent = ch.deleted.length ? await (async () => { const m = await import('../../core/api/status-absent.js'); await m.loadStatusMods(); return m.notInCacheSet(ctx.cwd, d.dvcfile, d.path, ch.deleted); })() : new Set<string>();
                for (const f of d.changes.deleted) ctx.out(`\t\t\t${(absent.has(f) ? 'not in cache:' : 'deleted:').padEnd(12)}${absent.has(f) ? ' ' : ''}${p}/${f}`);
              }
            }
          }
        }
      }
    }
    return ctx.quiet ? 1 : 0;
  },
};
