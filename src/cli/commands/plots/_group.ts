import type { CommandGroup } from '../../types.js';
export const group: CommandGroup = { path: ['plots'], describe: 'vega-lite plots of metrics files (show, diff) with an offline HTML report' };
