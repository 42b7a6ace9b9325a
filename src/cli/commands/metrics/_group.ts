import type { CommandGroup } from '../../types.js';
export const group: CommandGroup = { path: ['metrics'], describe: 'show and compare pipeline metrics' };
