/**
 * Small asynchronous file helpers on libuv's thread pool (Node's callback API, without the
 * FileHandle objects of fs/promises): for the many temp files of remotes and pack writers.
 */
import { constants as fsc, open as openCb, write as writeCb, close as closeCb, rm as rmCb } from 'node:fs';

/** A Node callback call as a promise. */
export function cb<T>(call: (done: (err: NodeJS.ErrnoException | null, v?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => call((err, v) => (err ? reject(err) : resolve(v as T))));
}

/** Removes `path` if it is there; never fails (cleanup of temp files). */
export function removeQuietly(path: string): Promise<void> {
  return cb<void>((done) => rmCb(path, { force: true }, () => done(null))).catch(() => undefined);
}

/** Writes all of `data[off, off + len)` at byte `pos` of the open file `fd` (short writes continued). */
export async function writeAllAt(fd: number, data: Uint8Array, off: number, len: number, pos: number): Promise<void> {
  let w = 0;
  while (w < len) w += await cb<number>((done) => writeCb(fd, data, off + w, len - w, pos + w, done));
}

/** A file opened for positioned writes (openNewFile). */
export interface NewFile {
  /** Writes `data[off, off + len)` at byte `pos` of the file (as many write calls as it takes). */
  write(data: Uint8Array, off: number, len: number, pos: number): Promise<void>;
  /** Closes the file; later calls do nothing. */
  close(): Promise<void>;
}

/** Creates `path`, which must not exist (O_EXCL), with `mode`, for positioned writes. */
export async function openNewFile(path: string, mode: number): Promise<NewFile> {
  const fd = await cb<number>((done) => openCb(path, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, mode, done));
  let open = true;
  return {
    write: (data, off, len, pos) => writeAllAt(fd, data, off, len, pos),
    async close() {
      if (!open) return;
      open = false;
      await cb<void>((done) => closeCb(fd, done));
    },
  };
}
