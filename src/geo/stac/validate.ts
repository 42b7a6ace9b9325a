/**
 * Validation of STAC documents against geodvc's own JSON Schemas (`assets/stac-schemas/`, written
 * from the STAC 1.0 spec and the extension documents; not the official schema files). Offline.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXT } from './stac.js';

type Validate = ((doc: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };
let compiled: Promise<Record<string, Validate>> | undefined;

/** The schema directory: `assets/stac-schemas` at the package root (from src/ or dist/). */
export function schemaDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'assets', 'stac-schemas');
}

async function load(): Promise<Record<string, Validate>> {
  const { default: Ajv } = (await import('ajv')) as any;
  const { default: addFormats } = (await import('ajv-formats')) as any;
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  // IRIs (RFC 3987) as our schemas use them: absolute ones must parse as URLs; references may be
  // relative, but never contain white space, controls or the characters RFC 3986 excludes.
  ajv.addFormat('iri', (v: string) => { try { return !!new URL(v).protocol; } catch { return false; } });
  ajv.addFormat('iri-reference', (v: string) => !/[\s<>"{}|\\^`\u0000-\u001f]/.test(v));
  const dir = schemaDir();
  const out: Record<string, Validate> = {};
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) ajv.addSchema(JSON.parse(readFileSync(join(dir, f), 'utf8')), f);
  for (const f of ['item', 'catalog', 'collection', 'projection', 'raster', 'file', 'label', 'version', 'pointcloud', 'datacube']) out[f] = ajv.getSchema(`${f}.json`);
  return out;
}

const EXT_SCHEMA: Record<string, string> = { [EXT.proj]: 'projection', [EXT.raster]: 'raster', [EXT.file]: 'file', [EXT.label]: 'label', [EXT.version]: 'version', [EXT.pointcloud]: 'pointcloud',
  // gridded cubes (src/geo/gridded/stac.ts)
  'https://stac-extensions.github.io/datacube/v2.2.0/schema.json': 'datacube' };

export interface StacProblem { schema: string; path: string; message: string }

/** Validates a Catalog, Collection or Item and every extension it declares; [] when valid. */
export async function validateStac(doc: Record<string, unknown>): Promise<StacProblem[]> {
  compiled ??= load();
  const v = await compiled;
  const core = doc.type === 'Feature' ? 'item' : doc.type === 'Collection' ? 'collection' : doc.type === 'Catalog' ? 'catalog' : undefined;
  if (!core) return [{ schema: '-', path: '/type', message: `unknown STAC type ${JSON.stringify(doc.type)}` }];
  const problems: StacProblem[] = [];
  const run = (name: string) => {
    const fn = v[name]!;
    if (!fn(doc)) for (const e of fn.errors ?? []) problems.push({ schema: name, path: e.instancePath || '/', message: e.message ?? 'invalid' });
  };
  run(core);
  for (const e of (doc.stac_extensions as string[] | undefined) ?? []) {
    const s = EXT_SCHEMA[e];
    if (s) run(s);
    else problems.push({ schema: '-', path: '/stac_extensions', message: `no bundled schema for extension ${e}` });
  }
  return problems;
}
