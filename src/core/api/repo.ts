/**
 * The repository, its configuration and its remotes as the CLI reaches them (`config`, `cache dir`,
 * `remote add|list|modify|rename|default|remove`, `root`, `version`): re-exports of core/repo,
 * small modules most commands load anyway. `init` has its own door (./init.ts).
 */
export { findRepoRoot, openRepo, openRepoSync } from '../repo/repo.js';
/** git as the CLI's closing hints and autostage use it (core/scm: the one place that runs git). */
export { gitTry } from '../scm/git.js';
export {
  CONFIG_LEVELS,
  configFilePath,
  getConfig,
  listConfigLevel,
  loadConfig,
  parseConfigName,
  readConfigLevel,
  setConfigValue,
  unsetConfigValue,
} from '../repo/config.js';
export type { ConfigData, ConfigLevel, ConfigListRow } from '../repo/config.js';
export { addRemote, defaultRemote, listRemotes, modifyRemote, removeRemote, renameRemote } from '../repo/remotes.js';
export type { AddRemoteOptions, ModifyRemoteOptions, RemoteListEntry } from '../repo/remotes.js';
export { maskSecret, remoteScheme, validateConfigName, validateConfigValue, validateRemoteOption } from '../repo/remote-options.js';
