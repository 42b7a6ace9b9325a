/**
 * What each built-in geo stage reads and writes, for `stage add` / dvc.yaml wiring. Every
 * function takes the command's options (as parsed by the CLI, camelCase) and returns the paths
 * that become the stage's `deps` and `outs`. Light module: no gdal3.js/geotiff imports.
 */
export interface StageIO { deps: string[]; outs: string[] }

export const GEO_STAGE_IO: Record<string, (args: Record<string, any>) => StageIO> = {
  'geo reproject': (a) => ({ deps: [a.input], outs: [a.output] }),
  'geo chip': (a) => ({ deps: [a.input, ...(a.aoi ? [a.aoi] : [])], outs: [a.output] }),
  'geo rasterize': (a) => ({ deps: [a.annotations, a.grid, ...(a.classMap ? [a.classMap] : [])], outs: [a.output] }),
  'geo vrt': (a) => ({ deps: [...(a.inputs ?? [])], outs: [a.output] }),
  'geo export': (a) => ({ deps: [a.index, a.annotations, ...(a.classMap ? [a.classMap] : [])], outs: [a.output] }),
  'geo split': (a) => ({ deps: [a.index], outs: [a.output ?? `${String(a.index).replace(/[^/\\]*$/, '')}splits.json`] }),
};

/** deps/outs of a geo stage command line, e.g. describeGeoStage('geo chip', { input, output }). */
export function describeGeoStage(command: string, args: Record<string, any>): StageIO | undefined {
  const f = GEO_STAGE_IO[command];
  return f ? f(args) : undefined;
}
