// Minimal typings for the `shapefile` package (it ships none).
declare module 'shapefile' {
  export interface Source { read(): Promise<{ done: boolean; value: any }>; bbox?: number[] }
  export function open(shp: string, dbf?: string, options?: { encoding?: string }): Promise<Source>;
}
