/**
 * Pluggable dependency fingerprints: a dep declared with a kind (in dvc.yaml, under the stage's
 * `meta.geodvc.dep-kinds`, which plain DVC ignores) is compared by a semantic fingerprint instead
 * of its bytes. When the md5 of such a dep differs from dvc.lock but its fingerprint equals the
 * fingerprint recorded for the locked md5, the stage does not rerun; the lock's md5 for the dep is
 * refreshed instead (so plain DVC agrees the stage is up to date).
 *
 * Fingerprints of locked versions are memoised under `.dvc/tmp/dep-fingerprints/<kind>/<md5>`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Returns a stable string for the semantic content of the file or directory at `absPath`. */
export type DepFingerprinter = (absPath: string) => Promise<string>;

const registry = new Map<string, DepFingerprinter>();

export function registerDepFingerprinter(kind: string, fn: DepFingerprinter): void {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(kind)) throw new Error(`invalid dep kind '${kind}'`);
  registry.set(kind, fn);
}

/**
 * A family of kinds with a parameter after `@`, e.g. `annotations@0.5m`: the factory gets the
 * parameter (`0.5m`) and returns the fingerprinter, or undefined when the parameter is invalid.
 */
export type DepFingerprinterFactory = (param: string) => DepFingerprinter | undefined;
const families = new Map<string, DepFingerprinterFactory>();

export function registerDepFingerprinterFamily(prefix: string, factory: DepFingerprinterFactory): void {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(prefix)) throw new Error(`invalid dep kind family '${prefix}'`);
  families.set(prefix, factory);
}

export function getDepFingerprinter(kind: string): DepFingerprinter | undefined {
  const fn = registry.get(kind);
  if (fn) return fn;
  const at = kind.indexOf('@');
  if (at <= 0) return undefined;
  const param = kind.slice(at + 1);
  if (!/^[A-Za-z0-9.+-]+$/.test(param)) return undefined; // the kind names a memo directory
  return families.get(kind.slice(0, at))?.(param);
}

export function listDepKinds(): string[] { return [...registry.keys()].sort(); }

function memoPath(tmpDir: string, kind: string, md5: string): string {
  return join(tmpDir, 'dep-fingerprints', kind, md5.slice(0, 2), md5.slice(2));
}

export function readFingerprintMemo(tmpDir: string, kind: string, md5: string): string | undefined {
  try { return readFileSync(memoPath(tmpDir, kind, md5), 'utf8'); } catch { return undefined; }
}

export function writeFingerprintMemo(tmpDir: string, kind: string, md5: string, fp: string): void {
  const p = memoPath(tmpDir, kind, md5);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, fp);
}
