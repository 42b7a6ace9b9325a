import type { CommandModule } from '../types.js';
import { addLevelOptions, levelFromOpts, rootFor } from './remote/_shared.js';

export const command: CommandModule = {
  path: ['config'],
  describe: 'get, set, unset or list configuration options (DVC INI format)',
  configure(cmd) {
    cmd.argument('[name]', 'option name: section.option or remote.NAME.option')
      .argument('[value]', 'new value')
      .option('-u, --unset', 'unset the option')
      .option('-l, --list', 'list all options')
      .option('--show-origin', 'show the config file each value comes from');
    addLevelOptions(cmd);
  },
  async run(ctx, [name, value], opts) {
    const { relative } = await import('node:path');
    const { UsageError, ConfigError } = await import('../../lib/errors.js');
    const cfg = await import('../../core/api/repo.js');
    const ro = await import('../../core/api/repo.js');
    const level = levelFromOpts(opts);
    const root = level === 'global' || level === 'system' ? undefined : rootFor(ctx.cwd, level);
    const origin = (l: string) => relative(ctx.cwd, cfg.configFilePath(l as any, root)) || '.';

    if (opts.list) {
      if (name !== undefined || value !== undefined || opts.unset) throw new UsageError('-l/--list takes no option name or value', { hint: '`geodvc config -l` or `geodvc config NAME [VALUE]`' });
      const rows: { name: string; value: string; level: string; file: string }[] = [];
      const levels = level ? [level] : cfg.CONFIG_LEVELS.filter((l) => root || (l !== 'repo' && l !== 'local'));
      for (const l of levels) {
        for (const r of cfg.listConfigLevel(l, root)) {
          const { section, key } = cfg.parseConfigName(r.name);
          rows.push({ name: r.name, value: display(section, key, r.value), level: l, file: origin(l) });
        }
      }
      if (ctx.json) { ctx.outJson(rows); return; }
      for (const r of rows) ctx.out(opts.showOrigin ? `${r.file}\t${r.name}=${r.value}` : `${r.name}=${r.value}`, true);
      return;
    }

    if (name === undefined) throw new UsageError('an option name is required (or -l to list)', { hint: 'e.g. `geodvc config core.remote` or `geodvc config cache.type hardlink,copy`' });
    const { section, key } = cfg.parseConfigName(name);
    const remoteM = /^remote "(.*)"$/.exec(section);

    function display(s: string, k: string, v: string): string {
      if (/^remote "/.test(s) && k === 'url') return redact(v);
      return ro.maskSecret(k, v);
    }
    function redact(v: string): string { return v.replace(/(:\/\/[^\s/:@]*:)[^\s@/]+@/, '$1***@'); }

    if (opts.unset) {
      if (value !== undefined) throw new UsageError('--unset takes no value', { hint: `\`geodvc config --unset ${name}\`` });
      const l = level ?? 'repo';
      if (!cfg.unsetConfigValue(root, l, name)) throw new ConfigError(`option '${name}' doesn't exist in the ${l} config`, { hint: 'see `geodvc config -l --show-origin` for where it is set' });
      if (ctx.json) ctx.outJson({ name, unset: true, level: l });
      return;
    }

    if (value === undefined) {
      // get
      let got: string | undefined;
      let from: string | undefined;
      if (level) { got = cfg.readConfigLevel(level, root)[section]?.[key]; from = level; }
      else {
        for (const l of cfg.CONFIG_LEVELS) {
          if (!root && (l === 'repo' || l === 'local')) continue;
          const v = cfg.readConfigLevel(l, root)[section]?.[key];
          if (v !== undefined) { got = v; from = l; }
        }
      }
      if (got === undefined) throw new ConfigError(`option '${name}' doesn't exist`, { hint: 'see `geodvc config -l` for the options that are set' });
      const shown = display(section, key, got);
      if (ctx.json) ctx.outJson({ name, value: shown, level: from, file: origin(from!) });
      else ctx.out(opts.showOrigin ? `${origin(from!)}\t${shown}` : shown, true);
      return;
    }

    // set
    const l = level ?? 'repo';
    if (remoteM) {
      const merged = cfg.loadConfig(root).merged;
      const url = key === 'url' ? value : merged[section]?.url;
      if (url === undefined) throw new ConfigError(`remote '${remoteM[1]}' doesn't exist`, { hint: `add it with \`geodvc remote add ${remoteM[1]} URL\`` });
      ro.validateRemoteOption(ro.remoteScheme(url), key, value, l);
    } else {
      ro.validateConfigName(section, key);
      ro.validateConfigValue(section, key, value);
      if (section === 'core' && key === 'remote') {
        const merged = cfg.loadConfig(root).merged;
        if (!merged[`remote "${value.toLowerCase()}"`]) throw new ConfigError(`remote '${value}' doesn't exist`, { hint: 'add it first with `geodvc remote add NAME URL`' });
      }
    }
    cfg.setConfigValue(root, l, name, value, { cwd: ctx.cwd });
    if (ctx.json) ctx.outJson({ name, value: display(section, key, value), level: l });
  },
};
