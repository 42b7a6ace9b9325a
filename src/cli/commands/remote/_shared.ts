/** Helpers shared by the config-level commands (config, remote *, cache dir). */
import type { Command } from 'commander';
import { UsageError } from '../../../lib/errors.js';
import type { ConfigLevel } from '../../../core/api/repo.js';
import { findRepoRoot } from '../../../core/api/repo.js';
import { NotARepoError } from '../../../lib/errors.js';

/** Adds `--global/--system/--project/--local`. */
export function addLevelOptions(cmd: Command): void {
  cmd.option('--global', 'use the global config (~/.config/dvc/config)')
    .option('--system', 'use the system config (/etc/xdg/dvc/config)')
    .option('--project', 'use the project config (.dvc/config, the default)')
    .option('--local', 'use the local config (.dvc/config.local, not committed: for secrets)');
}

/** The level picked by the flags, or `dflt`. Two flags at once is a usage error. */
export function levelFromOpts(opts: Record<string, any>, dflt?: ConfigLevel): ConfigLevel | undefined {
  const picked = (['global', 'system', 'project', 'local'] as const).filter((l) => opts[l]);
  if (picked.length > 1) throw new UsageError(`choose one of --${picked.join(', --')}`, { hint: 'a config level is one of --global, --system, --project, --local' });
  if (!picked.length) return dflt;
  return picked[0] === 'project' ? 'repo' : picked[0];
}

/** The repository root; required for the project/local levels. */
export function rootFor(cwd: string, level: ConfigLevel | undefined): string | undefined {
  const root = findRepoRoot(cwd);
  if (!root && (level === 'repo' || level === 'local' || level === undefined)) {
    throw new NotARepoError(undefined, { hint: 'run inside a repository (`geodvc init`), or use --global/--system' });
  }
  return root;
}
