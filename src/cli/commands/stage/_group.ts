import type { CommandGroup } from '../../types.js';
export const group: CommandGroup = { path: ['stage'], describe: 'add and list pipeline stages' };
