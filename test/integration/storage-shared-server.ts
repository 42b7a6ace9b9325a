/**
 * One server shared by several top-level tests of a file (they run one after another): started by
 * the first that asks, stopped when the last of `users` calls stop(). For servers that are slow to
 * start (Swift: 10-60 s), so its conformance suite and round trip pay the start-up once.
 */
import { SERVERS, type TestServer } from '../helpers/servers/index.js';

export function sharedServer(name: string, users: number): () => Promise<TestServer> {
  let started: Promise<TestServer> | undefined;
  let left = users;
  return () => {
    started ??= SERVERS[name]!();
    return started.then((srv): TestServer => ({
      name: srv.name,
      url: srv.url,
      get options() { return srv.options; },
      newRemote: (tag: string) => srv.newRemote(tag),
      objectPath: srv.objectPath?.bind(srv),
      kill: () => srv.kill(),
      restart: () => srv.restart(),
      async stop() { if (--left <= 0) await srv.stop(); },
    }));
  };
}
