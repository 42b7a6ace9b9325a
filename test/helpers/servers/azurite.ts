/** azurite-blob (npm) as a child process; the dev account's well-known key. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { BlobServiceClient } from '@azure/storage-blob';
import { spawnUntil, killChild, type TestServer } from './common.js';

const require = createRequire(import.meta.url);
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export async function startAzurite(container = 'geodvc-test'): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'geodvc-azurite-'));
  const pkg = require.resolve('azurite/package.json');
  const bin = join(pkg, '..', 'dist', 'src', 'blob', 'main.js');
  let port = 0;
  let child: import('node:child_process').ChildProcess | undefined;
  const start = async () => {
    const s = await spawnUntil(process.execPath, [bin, '--blobHost', '127.0.0.1', '--blobPort', String(port), '--location', dir, '--silent', '--skipApiVersionCheck', '--disableTelemetry', '--loose'],
      /successfully listens on http:\/\/127\.0\.0\.1:(\d+)/, { cwd: dir, timeoutMs: 20000 });
    child = s.child;
    port = Number(s.match[1]);
  };
  await start();
  const cs = () => `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${AZURITE_KEY};BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`;
  const mk = async (name: string) => {
    await BlobServiceClient.fromConnectionString(cs()).getContainerClient(name).createIfNotExists();
  };
  await mk(container);
  let n = 0;
  return {
    name: 'azurite',
    url: `azure://${container}/dvc-data`,
    get options() { return { connection_string: cs() }; },
    async newRemote(tag: string) {
      const c = `${container}-${tag}-${++n}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 60);
      await mk(c);
      return { url: `azure://${c}/dvc-data`, options: { connection_string: cs() } };
    },
    async kill() { await killChild(child); },
    async restart() { await start(); },
    async stop() { await killChild(child); rmSync(dir, { recursive: true, force: true }); },
  };
}
