import type { CommandGroup } from '../../types.js';
export const group: CommandGroup = {
  path: ['geo'],
  describe: 'geospatial tools: info, read, check (integrity), validate (alignment gate), chip, split, rasterize, reproject, vrt, export (COCO/YOLO), diff, manifest, stac',
};
