/**
 * The library's operations that the CLI runs on an opened repository (`gc`, `fsck`, `init`), with
 * the same `cwd`-based options as the others (`add`, `status`, `push`…), for `src/index.ts`.
 */
import { initRepo, type InitOptions, type InitResult } from '../repo/init.js';
import { openRepo } from '../repo/repo.js';
import { gc as gcRepo, type GcOptions, type GcResult } from './gc.js';
import { fsck as fsckRepo, type FsckOptions, type FsckResult } from './fsck.js';

export type { InitOptions, InitResult, GcOptions, GcResult, FsckOptions, FsckResult };

/** `geodvc init`: creates `.dvc/` in `cwd` as DVC 3.x does (and git-adds it unless `noScm`). */
export function init(opts: InitOptions & { cwd: string }): InitResult {
  const { cwd, ...rest } = opts;
  return initRepo(cwd, rest);
}

/** `geodvc gc`: removes cache objects (and with `cloud`, remote objects) the chosen scopes do not use. No confirmation is asked. */
export async function gc(opts: GcOptions & { cwd: string }): Promise<GcResult> {
  const { cwd, ...rest } = opts;
  return gcRepo(await openRepo(cwd), { workspace: true, ...rest });
}

/** `geodvc fsck`: re-hashes (or with `fast`, samples) the cache and reports missing/corrupt objects with the outputs that use them. */
export async function fsck(opts: FsckOptions & { cwd: string }): Promise<FsckResult> {
  const { cwd, ...rest } = opts;
  return fsckRepo(await openRepo(cwd), rest);
}
