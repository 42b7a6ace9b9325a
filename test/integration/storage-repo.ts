/** Shared fixtures of the storage/transfer integration tests: a repo with tracked data and remotes. */
import { createHash, randomFillSync } from 'node:crypto';
import { mkdirSync, openSync, writeSync, closeSync, readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gitInit } from '../helpers/tmp.js';
import { initRepo } from '../../src/core/repo/init.js';
import { add } from '../../src/core/api/add.js';
import { readConfigLevel, writeConfigLevel } from '../../src/core/repo/config.js';
import type { RemoteOptions } from '../../src/storage/registry.js';

export interface RepoData {
  root: string;
  /** repo-relative path -> sha256 of the content */
  digests: Map<string, string>;
  totalBytes: number;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Writes `bytes` of random data to `path` (1 MiB at a time) and returns its sha256. */
export function writeRandomFile(path: string, bytes: number): string {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(Math.min(bytes, 1 << 20));
  const fd = openSync(path, 'w');
  let left = bytes;
  while (left > 0) {
    const n = Math.min(left, buf.length);
    randomFillSync(buf, 0, n);
    writeSync(fd, buf, 0, n);
    h.update(buf.subarray(0, n));
    left -= n;
  }
  closeSync(fd);
  return h.digest('hex');
}

/** A git repo with `data/tiles/` (nFiles small files in 20 folders) and `data/big.tif` tracked. */
export async function makeRepoWithData(root: string, nFiles: number, bigBytes: number): Promise<RepoData> {
  mkdirSync(root, { recursive: true });
  gitInit(root);
  initRepo(root);
  const digests = new Map<string, string>();
  let total = 0;
  for (let i = 0; i < nFiles; i++) {
    const dir = join(root, 'data', 'tiles', `r${String(i % 20).padStart(2, '0')}`);
    mkdirSync(dir, { recursive: true });
    const body = Buffer.from(`chip ${i} ${'x'.repeat(i % 97)}\n`);
    const p = join(dir, `c${i}.bin`);
    const fd = openSync(p, 'w'); writeSync(fd, body); closeSync(fd);
    digests.set(relative(root, p), sha(body));
    total += body.length;
  }
  if (bigBytes > 0) {
    digests.set('data/big.tif', writeRandomFile(join(root, 'data', 'big.tif'), bigBytes));
    total += bigBytes;
  }
  const targets = [join(root, 'data', 'tiles'), ...(bigBytes > 0 ? [join(root, 'data', 'big.tif')] : [])];
  await add({ cwd: root, targets });
  return { root, digests, totalBytes: total };
}

/** Adds a remote to .dvc/config.local (secrets allowed there), optionally as the default. */
export function setRemote(root: string, name: string, url: string, options: RemoteOptions, opts: { isDefault?: boolean } = {}): void {
  const data = readConfigLevel('local', root);
  const sec: Record<string, string> = { url };
  for (const [k, v] of Object.entries(options)) if (v !== undefined) sec[k] = String(v);
  data[`remote "${name}"`] = sec;
  if (opts.isDefault) data.core = { ...(data.core ?? {}), remote: name };
  writeConfigLevel('local', root, data);
}

export function setCore(root: string, key: string, value: string): void {
  const data = readConfigLevel('local', root);
  data.core = { ...(data.core ?? {}), [key]: value };
  writeConfigLevel('local', root, data);
}

/** Every file under `dir` (relative paths). */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p); else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** Mismatches between the workspace and the expected digests (empty = every byte matches). */
export function diffWorkspace(data: RepoData): string[] {
  const bad: string[] = [];
  for (const [rel, d] of data.digests) {
    const p = join(data.root, rel);
    if (!existsSync(p)) { bad.push(`missing ${rel}`); continue; }
    const st = statSync(p);
    const got = st.size > (64 << 20) ? shaFile(p) : sha(readFileSync(p));
    if (got !== d) bad.push(`differs ${rel}`);
  }
  return bad;
}

function shaFile(p: string): string {
  const h = createHash('sha256');
  const fd = openSync(p, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  for (;;) {
    const n = require_readSync(fd, buf);
    if (!n) break;
    h.update(buf.subarray(0, n));
  }
  closeSync(fd);
  return h.digest('hex');
}
import { readSync } from 'node:fs';
function require_readSync(fd: number, buf: Buffer): number { return readSync(fd, buf, 0, buf.length, null); }
