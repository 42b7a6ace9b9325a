/**
 * Cached outputs recorded in `dvc.lock` (pipeline stages), read-only view for used-object
 * collection and status. The pipeline module owns dvc.lock; this reads only `outs` entries
 * (`path`, `hash`, `md5`/…, `size`, `nfiles`) and honours `cache: false` from dvc.yaml.
 */
import { join } from 'node:path';
import { parseYamlSafe } from '../../lib/safeyaml.js';
import type { DvcOut } from '../dvcfile/dvcfile.js';
import { parseHashName, type HashName } from '../odb/hash.js';
import { isValidOid } from '../odb/layout.js';
import { InvalidFileError } from '../../lib/errors.js';
import { assertNotReserved } from '../../lib/safepath.js';

type Reader = (relpath: string) => string | undefined;

function uncachedPaths(yamlText: string | undefined): Set<string> {
  const out = new Set<string>();
  if (!yamlText) return out;
  let data: unknown;
  try { data = parseYamlSafe(yamlText, { filename: 'dvc.yaml' }); } catch { return out; }
  const stages = (data as { stages?: Record<string, unknown> } | null)?.stages;
  if (!stages || typeof stages !== 'object') return out;
  for (const st of Object.values(stages)) {
    if (!st || typeof st !== 'object') continue;
    const s = st as Record<string, unknown>;
    const wdir = typeof s.wdir === 'string' ? s.wdir : '.';
    for (const key of ['outs', 'metrics', 'plots']) {
      const list = s[key];
      if (!Array.isArray(list)) continue;
      for (const item of list) {
        if (item && typeof item === 'object') {
          for (const [p, flags] of Object.entries(item as Record<string, unknown>)) {
            if (flags && typeof flags === 'object' && (flags as { cache?: unknown }).cache === false) out.add(join(wdir, p));
          }
        }
      }
    }
  }
  return out;
}

/** A `dvc.lock` output with the name of the stage that records it. */
export interface LockOut extends DvcOut { stage: string }

/** The outputs of the root `dvc.lock` (empty when there is none or it is unreadable). */
export function loadLockOuts(root: string, read: Reader): LockOut[] {
  const text = read('dvc.lock');
  if (!text) return [];
  let data: unknown;
  try { data = parseYamlSafe(text, { filename: 'dvc.lock' }); } catch (err) {
    if (err instanceof InvalidFileError) throw err;
    return [];
  }
  const stages = (data as { stages?: Record<string, unknown> } | null)?.stages;
  if (!stages || typeof stages !== 'object') return [];
  const uncached = uncachedPaths(read('dvc.yaml'));
  const outs: LockOut[] = [];
  for (const [name, st] of Object.entries(stages)) {
    const list = (st as { outs?: unknown } | null)?.outs;
    if (!Array.isArray(list)) continue;
    for (const o of list) {
      if (!o || typeof o !== 'object') continue;
      const e = o as Record<string, unknown>;
      if (typeof e.path !== 'string') continue;
      // issue 17: a stage output inside .git/.dvc is an attack, not a path to skip quietly
      assertNotReserved(e.path, `output of dvc.lock stage '${name}'`);
      if (e.path.split('/').includes('..') || e.path.startsWith('/')) continue;
      const hashName: HashName | undefined = e.hash === undefined ? 'md5-dos2unix' : parseHashName(String(e.hash));
      if (!hashName) continue;
      const key = hashName === 'md5-dos2unix' ? 'md5' : hashName;
      const oid = typeof e[key] === 'string' ? (e[key] as string) : undefined;
      if (!oid || !isValidOid(hashName, oid)) continue;
      outs.push({
        path: e.path, absPath: join(root, e.path), hashName, oid,
        size: typeof e.size === 'number' ? e.size : undefined,
        nfiles: typeof e.nfiles === 'number' ? e.nfiles : undefined,
        cache: !uncached.has(join('.', e.path)) && !uncached.has(e.path),
        push: true, raw: e, stage: name,
      });
    }
  }
  return outs;
}
