/**
 * The chunk list of one file object and where chunked data lives, on a remote and in the cache.
 *
 * Remote layout (beside DVC's `files/<algo>/…`, which keeps its meaning):
 *   chunked/lists/<file algo>/<oid[0:2]>/<oid[2:]>    the chunk list (JSON) of a file object
 *   chunked/packs/<id>, chunked/index/<id>           chunks in pack files and their indexes
 *                                                     (src/core/transfer/pack.ts)
 *   chunked/data/<chunk algo>/<h[0:2]>/<h[2:]>        one chunk's bytes (written by geodvc before
 *                                                     packs; still read, no longer written)
 *   GEODVC-CHUNKED-REMOTE.txt                         marker for people and for DVC users
 * Local cache: chunklists/<mode>/<file algo>/<oid[0:2]>/<oid[2:]> remembers the lists computed
 * or fetched (derived data: a missing or stale one is recomputed from the cached object).
 */
import { objectRelPath, isValidOid } from '../odb/layout.js';
import { parseHashName, type HashName } from '../odb/hash.js';
import { InvalidFileError } from '../../lib/errors.js';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomicSync } from '../../lib/atomic.js';
import type { ChunkMode, ChunkRef } from './chunker.js';

/**
 * The algorithm naming chunks: xxh128 for md5/xxh128 repositories (fast, 128-bit; the file's own
 * md5/xxh128 is verified after reassembly, so a chunk collision can never produce a wrong file,
 * only a failed pull), sha256 for sha256 repositories (whoever chose sha256 wants collision
 * resistance everywhere).
 */
export function chunkHashFor(fileHash: HashName): HashName {
  return fileHash === 'sha256' ? 'sha256' : 'xxh128';
}

export const CHUNK_LIST_VERSION = 1;
export const MARKER_KEY = 'GEODVC-CHUNKED-REMOTE.txt';

export interface ChunkList {
  version: number;
  /** The file's hash algorithm and id (its DVC identity). */
  hash: HashName;
  oid: string;
  size: number;
  chunkHash: HashName;
  mode: ChunkMode;
  chunks: ChunkRef[];
}

export function listKey(hash: HashName, oid: string): string {
  return `chunked/lists/${objectRelPath(hash, oid).replace(/^files\//, '')}`;
}

export function chunkKey(chunkHash: HashName, h: string): string {
  return `chunked/data/${objectRelPath(chunkHash, h).replace(/^files\//, '')}`;
}

export function localListRel(mode: ChunkMode, hash: HashName, oid: string): string {
  return `chunklists/${mode}/${objectRelPath(hash, oid).replace(/^files\//, '')}`;
}

/** Compact JSON: one `[hash, size]` pair per chunk (about 45 bytes a chunk). */
export function serializeChunkList(l: ChunkList): string {
  const chunks = l.chunks.map((c) => `["${c.hash}",${c.size}]`).join(',');
  return `{"version":${l.version},"hash":"${l.hash}","oid":"${l.oid}","size":${l.size},"chunk_hash":"${l.chunkHash}","mode":"${l.mode}","chunks":[${chunks}]}\n`;
}

const bad = (what: string, why: string) => new InvalidFileError(`chunk list ${what} is invalid: ${why}`, { hint: 'push the file again from a cache that has it (the remote copy of its chunk list is damaged)' });

/** Parses and checks a chunk list; `expect` is the object it must describe. */
export function parseChunkList(text: string | Uint8Array, expect?: { hash: HashName; oid: string; size?: number }): ChunkList {
  const what = expect ? `of ${expect.oid}` : '';
  let j: Record<string, unknown>;
  try { j = JSON.parse(typeof text === 'string' ? text : Buffer.from(text).toString('utf8')) as Record<string, unknown>; } catch { throw bad(what, 'not JSON'); }
  if (!j || typeof j !== 'object') throw bad(what, 'not an object');
  if (j.version !== CHUNK_LIST_VERSION) throw bad(what, `unsupported version ${String(j.version)} (this geodvc reads version ${CHUNK_LIST_VERSION}; upgrade geodvc)`);
  const hash = parseHashName(j.hash as string);
  const chunkHash = parseHashName(j.chunk_hash as string);
  if (!hash || !chunkHash) throw bad(what, 'unknown hash algorithm');
  const oid = j.oid;
  if (typeof oid !== 'string' || !isValidOid(hash, oid) || oid.endsWith('.dir')) throw bad(what, 'bad object id');
  const size = j.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw bad(what, 'bad size');
  const mode = j.mode === 'tiles' || j.mode === 'cdc' ? j.mode : undefined;
  if (!mode) throw bad(what, 'bad mode');
  if (!Array.isArray(j.chunks)) throw bad(what, 'no chunk array');
  let sum = 0;
  const chunks: ChunkRef[] = [];
  for (const c of j.chunks as unknown[]) {
    if (!Array.isArray(c) || typeof c[0] !== 'string' || !isValidOid(chunkHash, c[0]) || c[0].endsWith('.dir') || typeof c[1] !== 'number' || !Number.isSafeInteger(c[1]) || c[1] <= 0) throw bad(what, 'bad chunk entry');
    chunks.push({ hash: c[0], size: c[1] });
    sum += c[1];
  }
  if (sum !== size) throw bad(what, `chunks add up to ${sum} bytes, not ${size}`);
  if (expect && (expect.hash !== hash || expect.oid !== oid || (expect.size !== undefined && expect.size !== size))) throw bad(what, `it describes ${hash}:${oid} (${size} bytes)`);
  return { version: CHUNK_LIST_VERSION, hash, oid, size, chunkHash, mode, chunks };
}

export const MARKER_TEXT = `This remote holds chunked objects written by geodvc (remote option \`chunking\`).

Files above the chunking threshold are not stored whole under files/<algo>/ as DVC stores them:
each is a chunk list under chunked/lists/ and content-addressed chunks in pack files under
chunked/packs/ (indexed by chunked/index/; older geodvc versions wrote chunked/data/).
DVC cannot read these objects: \`dvc pull\` reports them as missing. Read them with geodvc
(\`geodvc pull\`), or make the remote DVC-readable with
\`geodvc remote modify NAME dvc_compatible true\` followed by \`geodvc push\`, which also uploads
whole objects. See docs/chunking.md of geodvc.
`;

/** The chunk list remembered in the cache for `mode` (tiles falls back to a file's CDC list), or null. */
export function rememberedChunkList(cacheDir: string, mode: ChunkMode, hash: HashName, oid: string, size: number): ChunkList | null {
  for (const m of mode === 'tiles' ? (['tiles', 'cdc'] as const) : (['cdc'] as const)) {
    const p = join(cacheDir, localListRel(m, hash, oid));
    if (!existsSync(p)) continue;
    try { return parseChunkList(readFileSync(p), { hash, oid, size }); } catch { /* damaged: recompute */ }
  }
  return null;
}

/** Remembers a list in the cache (best effort: a cache of derived data). */
export function saveLocalList(cacheDir: string, list: ChunkList): void {
  const p = join(cacheDir, localListRel(list.mode, list.hash, list.oid));
  try {
    mkdirSync(dirname(p), { recursive: true });
    writeFileAtomicSync(p, serializeChunkList(list), { fsync: false });
  } catch { /* losing it costs a recomputation only */ }
}
