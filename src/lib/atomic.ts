import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync, mkdirSync } from 'node:fs';
import { open, rename, rm, mkdir } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Prefix of every temporary file we create; a later run may delete stale ones safely. */
export const TMP_PREFIX = '.geodvc-tmp-';

export function tmpPathFor(path: string): string {
  return join(dirname(path), `${TMP_PREFIX}${basename(path).slice(0, 40)}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Writes `data` to `path` atomically: temp file in the same directory, fsync, rename. */
export function writeFileAtomicSync(path: string, data: string | Uint8Array, opts: { mode?: number; fsync?: boolean } = {}): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tmpPathFor(path);
  const fd = openSync(tmp, 'w', opts.mode ?? 0o666);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    if (opts.fsync !== false) fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, opts: { mode?: number; fsync?: boolean } = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tmpPathFor(path);
  const fh = await open(tmp, 'w', opts.mode ?? 0o666);
  try {
    await fh.writeFile(data);
    if (opts.fsync !== false) await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
