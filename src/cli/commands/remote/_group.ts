import type { CommandGroup } from '../../types.js';
export const group: CommandGroup = { path: ['remote'], describe: 'set up and manage data remotes (add, modify, list, remove, rename, default)' };
