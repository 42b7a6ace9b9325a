import type { CommandGroup } from '../../types.js';
export const group: CommandGroup = { path: ['cache'], describe: 'manage the cache (dir, check)' };
