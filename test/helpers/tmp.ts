import { existsSync, mkdtempSync, rmSync, statfsSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';

/** A fresh temp directory, removed by the returned cleanup (keep it with KEEP_TMP=1). */
export function makeTmpDir(prefix = 'geodvc-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => { if (process.env.KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true }); } };
}

/**
 * Like makeTmpDir, but in memory (/dev/shm, a tmpfs, when the machine has one; else the usual temp
 * dir): for tests that rewrite small files thousands of times (the fuzz tier writes each case to a
 * file), where ext4's truncate-and-rewrite path (journal, block frees) costs more than the code under
 * test. Only for small files: tmpfs lives in RAM. Used when /dev/shm has 2 GiB free (not a container's
 * 64 MiB default); GEODVC_TEST_SHM=0 turns it off.
 */
export function makeShmTmpDir(prefix = 'geodvc-test-'): { dir: string; cleanup: () => void } {
  let dir: string | undefined;
  if (shmUsable()) {
    try { dir = mkdtempSync(join('/dev/shm', prefix)); } catch { /* not writable here: the usual temp dir */ }
  }
  dir ??= mkdtempSync(join(tmpdir(), prefix));
  const d = dir;
  return { dir: d, cleanup: () => { if (process.env.KEEP_TMP !== '1') rmSync(d, { recursive: true, force: true }); } };
}

/** /dev/shm exists with at least 2 GiB free (a container's default 64 MiB one would fill up). */
function shmUsable(): boolean {
  if (process.env.GEODVC_TEST_SHM === '0' || !existsSync('/dev/shm')) return false;
  try { const st = statfsSync('/dev/shm'); return st.bavail * st.bsize >= 2 ** 31; } catch { return false; }
}

/** Writes a tree of files: { 'a/b.txt': 'content' }. */
export function writeTree(root: string, files: Record<string, string | Uint8Array>): void {
  for (const [rel, content] of Object.entries(files)) {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
}

/** git init with a fixed identity, so commits work on any machine. */
export function gitInit(dir: string): void {
  execFileSync('git', ['init', '-q', '-b', 'main', dir]);
  execFileSync('git', ['-C', dir, 'config', 'user.email', 'test@geodvc.local']);
  execFileSync('git', ['-C', dir, 'config', 'user.name', 'geodvc test']);
  execFileSync('git', ['-C', dir, 'config', 'commit.gpgsign', 'false']);
}

export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' });
}
