import type { CommandGroup } from '../../types.js';
export const group: CommandGroup = { path: ['queue'], describe: 'run experiments queued with `exp run --queue` and pipeline stages sent with `repro --queue`' };
