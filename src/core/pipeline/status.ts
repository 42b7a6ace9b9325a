/**
 * DVC's rerun rules (`dvc/stage/__init__.py` changed()/status()): changed command, changed deps
 * (deleted / new / modified; params per key), changed outs (deleted / new / modified / not in
 * cache), always changed; frozen stages skip their deps.
 */
import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { AppError } from '../../lib/errors.js';
import type { LockEntry, LockStage } from '../dvcfile/lock.js';
import type { StageDef } from '../dvcfile/dvcyaml.js';
import { stageAddress } from '../dvcfile/dvcyaml.js';
import { readParamsFile, getDotted, hasDotted, paramEqual, type ParamsTree } from '../dvcfile/params.js';
import { hashPath, legacyHashPath, type HashState } from './hashing.js';
import { objectComplete } from './cache.js';
import type { PipelineRepo } from './graph.js';
import { getDepFingerprinter, readFingerprintMemo, writeFingerprintMemo } from './fingerprint.js';

export class MissingParamsError extends AppError {
  constructor(file: string, keys: string[]) {
    super('missing-params', `Parameters '${keys.join(', ')}' are missing from '${file}'.`, 1, {
      hint: `add ${keys.length > 1 ? 'them' : 'it'} to ${file} or remove ${keys.length > 1 ? 'them' : 'it'} from the stage's params`,
      details: { file, keys },
    });
  }
}

export class StatusContext {
  private paramsCache = new Map<string, ParamsTree | null>();
  constructor(readonly repo: PipelineRepo, readonly state: HashState, readonly cwd: string) {}
  readParams(abs: string, display: string): ParamsTree | null {
    if (!this.paramsCache.has(abs)) this.paramsCache.set(abs, existsSync(abs) ? readParamsFile(abs, display) : null);
    return this.paramsCache.get(abs)!;
  }
  /** Drops memoised params (after a stage writes a params file). */
  invalidate(): void { this.paramsCache.clear(); }
  display(abs: string): string { return relative(this.cwd, abs) || '.'; }
}

/** The params values a stage tracks now: file -> key -> value. Throws on missing keys if strict. */
export function currentParams(sc: StatusContext, s: StageDef, strict: boolean): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const p of s.params) {
    const abs = resolve(s.wdir, p.file);
    const display = relative(sc.repo.root, abs);
    const tree = sc.readParams(abs, display);
    if (!tree) {
      if (strict) throw new AppError('missing-params-file', `params file '${display}' does not exist (stage '${stageAddress(s)}')`, 1, { hint: `create ${display} or remove it from the stage's params` });
      continue;
    }
    if (p.keys === null) { out[p.file] = { ...tree }; continue; }
    const vals: Record<string, unknown> = {};
    const missing: string[] = [];
    for (const k of p.keys) {
      if (hasDotted(tree, k)) vals[k] = getDotted(tree, k);
      else missing.push(k);
    }
    if (missing.length && strict) throw new MissingParamsError(display, missing);
    out[p.file] = vals;
  }
  return out;
}

export type EntryStatus = 'deleted' | 'new' | 'modified' | 'not in cache';

export interface StageStatus {
  address: string;
  cmdChanged: boolean;
  deps: Record<string, EntryStatus | Record<string, string>>;
  outs: Record<string, EntryStatus>;
  alwaysChanged: boolean;
  /** Deps whose bytes changed but whose semantic fingerprint did not (lock md5 to refresh). */
  semanticSame: { path: string; md5: string; size: number; nfiles?: number }[];
  /** Only deps/outs missing from the workspace or cache (for --allow-missing). */
  onlyMissing: boolean;
  /** No dvc.lock entry yet (always reproduced; not shown by `status`, as DVC). */
  noLock: boolean;
}

export function isChanged(st: StageStatus): boolean {
  return st.noLock || st.cmdChanged || st.alwaysChanged || Object.keys(st.deps).length > 0 || Object.keys(st.outs).length > 0;
}

function sameCmd(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) return JSON.stringify(a) === JSON.stringify(b);
  return a === b;
}

function lockHash(e: LockEntry | undefined): string | undefined {
  return e?.md5 as string | undefined;
}

/** True when the lock entry's hash matches the path: DVC 3 md5, or DVC 2's dos2unix md5 for entries without `hash:`. */
async function sameHash(locked: LockEntry, abs: string, current: string): Promise<boolean> {
  if (lockHash(locked) === current) return true;
  if (locked.hash !== undefined) return false;
  return (await legacyHashPath(abs)) === lockHash(locked);
}

async function semanticEqual(sc: StatusContext, kind: string, abs: string, lockedMd5: string, currentMd5: string): Promise<boolean> {
  const fn = getDepFingerprinter(kind);
  if (!fn) return false;
  const locked = readFingerprintMemo(sc.repo.tmpDir, kind, lockedMd5);
  if (locked === undefined) return false;
  let cur = readFingerprintMemo(sc.repo.tmpDir, kind, currentMd5);
  if (cur === undefined) {
    cur = await fn(abs);
    writeFingerprintMemo(sc.repo.tmpDir, kind, currentMd5, cur);
  }
  return cur === locked;
}

/** Records the fingerprints of a stage's kinded deps at their locked md5 (after a run). */
export async function memoFingerprints(sc: StatusContext, s: StageDef, deps: LockEntry[]): Promise<void> {
  for (const d of s.deps) {
    if (!d.kind) continue;
    const fn = getDepFingerprinter(d.kind);
    const e = deps.find((x) => x.path === d.path);
    if (!fn || !e?.md5) continue;
    if (readFingerprintMemo(sc.repo.tmpDir, d.kind, e.md5 as string) === undefined) {
      writeFingerprintMemo(sc.repo.tmpDir, d.kind, e.md5 as string, await fn(resolve(s.wdir, d.path)));
    }
  }
}

/** Computes a stage's status against its lock entry. */
export async function stageStatus(sc: StatusContext, s: StageDef, lock: LockStage | undefined): Promise<StageStatus> {
  const st: StageStatus = { address: stageAddress(s), cmdChanged: false, deps: {}, outs: {}, alwaysChanged: false, semanticSame: [], onlyMissing: true, noLock: !lock };
  const missingOnly = (x: string) => x === 'deleted' || x === 'not in cache';
  if (!s.frozen) {
    for (const d of s.deps) {
      const abs = resolve(s.wdir, d.path);
      const locked = lock?.deps?.find((e) => e.path === d.path);
      const h = await hashPath(abs, sc.state);
      const key = sc.display(abs);
      if (!h) st.deps[key] = 'deleted';
      else if (!lockHash(locked)) { st.deps[key] = 'modified'; st.onlyMissing = false; } // DVC: empty HashInfo != current
      else if (!(await sameHash(locked!, abs, h.md5))) {
        if (d.kind && await semanticEqual(sc, d.kind, abs, lockHash(locked)!, h.md5)) {
          st.semanticSame.push({ path: d.path, md5: h.md5, size: h.size, nfiles: h.nfiles });
        } else { st.deps[key] = 'modified'; st.onlyMissing = false; }
      }
    }
    const now = currentParams(sc, s, false);
    for (const p of s.params) {
      const abs = resolve(s.wdir, p.file);
      const key = sc.display(abs);
      const lockedVals = lock?.params?.[p.file];
      const cur = now[p.file];
      const changes: Record<string, string> = {};
      if (cur === undefined) { st.deps[key] = 'deleted'; st.onlyMissing = false; continue; }
      if (lockedVals === undefined || lockedVals === null) { st.deps[key] = 'new'; st.onlyMissing = false; continue; }
      const keys = p.keys ?? [...new Set([...Object.keys(cur ?? {}), ...Object.keys(lockedVals ?? {})])];
      for (const k of keys) {
        const has = Object.prototype.hasOwnProperty.call(cur, k);
        const had = Object.prototype.hasOwnProperty.call(lockedVals, k);
        if (!has) changes[k] = 'deleted';
        else if (!had) changes[k] = 'new';
        else if (!paramEqual(cur[k], (lockedVals as Record<string, unknown>)[k])) changes[k] = 'modified';
      }
      if (Object.keys(changes).length) { st.deps[key] = changes; st.onlyMissing = false; }
    }
  }
  for (const o of s.outs) {
    const abs = resolve(s.wdir, o.path);
    const locked = lock?.outs?.find((e) => e.path === o.path);
    const key = sc.display(abs);
    const h = await hashPath(abs, sc.state);
    if (!h) st.outs[key] = 'deleted';
    else if (!lockHash(locked)) { st.outs[key] = 'modified'; st.onlyMissing = false; }
    else if (!(await sameHash(locked!, abs, h.md5))) { st.outs[key] = 'modified'; st.onlyMissing = false; }
    else if (o.cache && !objectComplete(sc.repo.cacheDir, h.md5) && !objectComplete(sc.repo.cacheDir, lockHash(locked)!)) st.outs[key] = 'not in cache';
  }
  const callback = s.deps.length === 0 && s.outs.length === 0 && s.params.length === 0;
  if (s.alwaysChanged || callback) { st.alwaysChanged = true; st.onlyMissing = false; }
  if (lock && !sameCmd(lock.cmd, s.cmd)) { st.cmdChanged = true; st.onlyMissing = false; }
  if (!lock) st.onlyMissing = false;
  if (!Object.values(st.deps).some((x) => typeof x === 'string' && missingOnly(x)) && !Object.values(st.outs).some(missingOnly)) st.onlyMissing = false;
  return st;
}

/** DVC's `status --json` value for one stage: [{"changed deps": ...}, {"changed outs": ...}, "always changed", "changed command"]. */
export function statusJson(st: StageStatus): unknown[] {
  const out: unknown[] = [];
  if (Object.keys(st.deps).length) out.push({ 'changed deps': st.deps });
  if (Object.keys(st.outs).length) out.push({ 'changed outs': st.outs });
  if (st.alwaysChanged) out.push('always changed');
  if (st.cmdChanged) out.push('changed command');
  return out;
}

