import type { CommandGroup } from '../../types.js';
export const group: CommandGroup = { path: ['data'], describe: 'summaries of tracked data (status)' };
