import type { CommandGroup } from '../../types.js';
export const group: CommandGroup = { path: ['geo'], describe: 'geospatial tools: info, validate (alignment gate), check (integrity), chip, reproject, rasterize, diff, manifest' };
