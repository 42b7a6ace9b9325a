/** The chip index on disk: what an earlier run wrote (for idempotent reruns), and the final write. */
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { writeFileAtomicSync } from '../../../lib/atomic.js';
import { chipIndexGeoJson } from './plan.js';
import type { ChipInput, ChipRecord, ChipResult } from './types.js';

export type PreviousChips = Map<string, { md5: string; key: string }>;

/** The chips an earlier run recorded in `indexPath` (empty on a first run or an unreadable index). */
export function readPreviousIndex(indexPath: string): PreviousChips {
  const previous: PreviousChips = new Map();
  try {
    const prev = JSON.parse(readFileSync(indexPath, 'utf8'));
    for (const f of prev.features ?? []) previous.set(f.properties.chip, { md5: f.properties.source_md5, key: prev.params_key });
  } catch { /* first run */ }
  return previous;
}

export async function md5File(path: string): Promise<string> {
  const h = createHash('md5');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Drops chips of earlier runs that this run no longer produces, writes the index. */
export function finishChips(outDir: string, inputs: ChipInput[], records: ChipRecord[], indexPath: string, paramsKey: string,
  counts: { written: number; unchanged: number; skippedNodata: number; skippedAoi: number }): ChipResult {
  const keep = new Set(records.map((r) => r.chip));
  const stems = new Set(inputs.map((i) => basename(i.name, extname(i.name))));
  let removed = 0;
  for (const n of readdirSync(outDir)) {
    const m = /^(.*)_r\d+_c\d+\.tif$/.exec(n);
    if (m && stems.has(m[1]!) && !keep.has(n)) { rmSync(join(outDir, n), { force: true }); removed++; }
  }
  writeFileAtomicSync(indexPath, chipIndexGeoJson(records, paramsKey));
  return { chips: records, ...counts, index: indexPath, removed };
}
