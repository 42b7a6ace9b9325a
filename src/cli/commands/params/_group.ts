import type { CommandGroup } from '../../types.js';
export const group: CommandGroup = { path: ['params'], describe: 'show and compare pipeline params' };
