/** The local-directory "server": just a temp dir, for the same suites as the real servers. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestServer } from './common.js';

export async function startLocalDir(): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'geodvc-localremote-'));
  let n = 0;
  return {
    name: 'local',
    url: join(dir, 'dvc-data'),
    options: {},
    async newRemote(tag: string) { return { url: join(dir, `${tag}-${++n}`), options: {} }; },
    objectPath(remoteUrl: string, key: string) { return join(remoteUrl, key); },
    async kill() {},
    async restart() {},
    async stop() { rmSync(dir, { recursive: true, force: true }); },
  };
}
