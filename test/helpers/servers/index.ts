/** Every real server of the storage suites, by name. */
import type { TestServer } from './common.js';
import { startLocalDir } from './local.js';
import { startS3rver } from './s3rver.js';
import { startAzurite } from './azurite.js';
import { startGcsFake } from './gcs-fake.js';
import { startSshd } from './sshd.js';
import { startHttpServer } from './http-server.js';
import { startNginxDav } from './nginx-dav.js';
import { startSwift } from './swift.js';

export * from './common.js';

export const SERVERS: Record<string, () => Promise<TestServer>> = {
  local: startLocalDir,
  s3rver: () => startS3rver(),
  azurite: () => startAzurite(),
  'gcs-fake': () => startGcsFake(),
  sshd: startSshd,
  'node-http': startHttpServer,
  'nginx-dav': startNginxDav,
  swift: () => startSwift(),
};
