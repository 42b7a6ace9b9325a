/** A serialisable GDAL utility call (runs in this thread or in a worker of `GdalWorkerPool`). */
import { outName, withDataset } from './gdal.js';

export interface GdalTask {
  op: 'gdalwarp' | 'gdal_translate' | 'gdal_rasterize';
  /** Real path of the input dataset. */
  input: string;
  args: string[];
  /** Real output path without the extension gdal3.js appends for the `-of` driver. */
  output: string;
}

export async function runGdalTask(t: GdalTask): Promise<{ output: string }> {
  await withDataset(`${t.op} ${t.input}`, t.input, async (g, ds) => {
    await (g as any)[t.op](ds, t.args, outName(t.output));
  });
  return { output: t.output };
}
