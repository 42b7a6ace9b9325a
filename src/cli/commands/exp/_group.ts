import type { CommandGroup } from '../../types.js';
export const group: CommandGroup = { path: ['exp'], describe: 'run, compare and manage experiments (refs/exps)' };
