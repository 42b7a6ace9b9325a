import type { CommandModule } from '../types.js';
import { UsageError } from '../../lib/errors.js';

export const command: CommandModule = {
  path: ['serve'],
  describe: 'serve a directory as an HTTP(S) remote with read/write/admin tokens (DVC http remote compatible)',
  configure(cmd) {
    cmd
      .requiredOption('--root <dir>', 'directory holding the objects (DVC remote layout; created if missing)')
      .option('--port <n>', 'TCP port (0 picks a free one)', '8080')
      .option('--host <addr>', 'address to listen on', '127.0.0.1')
      .option('--tokens <file>', 'tokens file: one `<role> <token> [name]` per line, role read|write|admin')
      .option('--anonymous <role>', 'role of requests without a token: none|read|write (default: none with --tokens, read without)')
      .option('--tls-cert <file>', 'PEM certificate: serve HTTPS')
      .option('--tls-key <file>', 'PEM private key for --tls-cert')
      .option('--max-object-size <size>', 'refuse uploads larger than this: bytes or 500M, 5G, 2T; none for no limit (default 5G)')
      .option('--max-uploads <n>', 'uploads handled at once; more get 503 + Retry-After (default 32)')
      .option('--upload-timeout <seconds>', 'longest an upload may take (default 10800)')
      .option('--min-upload-rate <bytes/s>', 'cut off uploads slower than this over a minute (default 1024)')
      .option('--allow-host <name>', 'also accept this name (or name:port) in Host/Origin, e.g. the DNS name clients use; repeatable', (v: string, prev: string[] = []) => [...prev, v])
      .option('--log <file>', 'append denied requests and errors to this file instead of stderr')
      .option('--access-log', 'also log every request');
  },
  async run(ctx, _args, opts) {
    const { startServer, TokenStore } = await import('../../apps/serve/index.js');
    const { appendFileSync } = await import('node:fs');
    const { resolve } = await import('node:path');
    const port = Number(opts.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`invalid --port '${opts.port}'`, { hint: 'use a number from 0 to 65535' });
    if (!!opts.tlsCert !== !!opts.tlsKey) throw new UsageError('--tls-cert and --tls-key go together', { hint: 'pass both PEM files, or neither for plain HTTP' });
    const anonymous = opts.anonymous as string | undefined;
    if (anonymous !== undefined && !['none', 'read', 'write'].includes(anonymous)) {
      throw new UsageError(`invalid --anonymous '${anonymous}'`, { hint: 'use none, read or write (admin is never anonymous)' });
    }
    let maxObjectBytes: number | undefined;
    if (opts.maxObjectSize !== undefined) {
      const m = /^(\d+)\s*([kmgt]i?b?|b)?$/i.exec(String(opts.maxObjectSize).trim());
      if (/^(none|unlimited|0)$/i.test(String(opts.maxObjectSize).trim())) maxObjectBytes = Number.POSITIVE_INFINITY;
      else if (m) {
        const unit = (m[2] ?? '').toLowerCase()[0];
        maxObjectBytes = Number(m[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : unit === 't' ? 1024 ** 4 : 1);
      }
      if (maxObjectBytes === undefined || !(maxObjectBytes >= 1)) throw new UsageError(`invalid --max-object-size '${opts.maxObjectSize}'`, { hint: 'a number of bytes, or with a unit: 500M, 5G, 2T; none for no limit' });
    }
    const positive = (name: string, v: unknown): number | undefined => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new UsageError(`invalid ${name} '${String(v)}'`, { hint: 'a positive number' });
      return n;
    };
    const maxUploads = positive('--max-uploads', opts.maxUploads);
    if (maxUploads !== undefined && !Number.isInteger(maxUploads)) throw new UsageError(`invalid --max-uploads '${opts.maxUploads}'`, { hint: 'a whole number of uploads' });
    const uploadTimeoutS = positive('--upload-timeout', opts.uploadTimeout);
    const minRate = positive('--min-upload-rate', opts.minUploadRate);
    const logFile = opts.log ? resolve(String(opts.log)) : undefined;
    const log = (line: string) => {
      const l = `${new Date().toISOString()} ${line}\n`;
      if (logFile) appendFileSync(logFile, l);
      else process.stderr.write(l);
    };
    const tokens = opts.tokens ? TokenStore.load(resolve(String(opts.tokens)), (m) => ctx.warn(m)) : undefined;
    const host = String(opts.host);
    if (!tokens && anonymous === 'write' && host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
      ctx.warn(`anyone who can reach ${host} may upload objects (--anonymous write without --tokens)`);
    }
    const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1';
    if (tokens && !opts.tlsCert && !loopback) ctx.warn(`tokens travel in clear text over plain HTTP on ${host}; use --tls-cert/--tls-key or put a TLS proxy in front`);
    if (!loopback && !(opts.allowHost as string[] | undefined)?.length) ctx.warn(`requests must name this server by IP address in their Host header; add --allow-host NAME for each DNS name clients use (others get 421)`);
    const srv = await startServer({
      root: resolve(String(opts.root)), host, port, tokens, anonymous: anonymous as 'none' | 'read' | 'write' | undefined,
      tls: opts.tlsCert ? { cert: resolve(String(opts.tlsCert)), key: resolve(String(opts.tlsKey)) } : undefined,
      maxObjectBytes, log, accessLog: !!opts.accessLog,
      maxUploads, uploadTimeoutMs: uploadTimeoutS === undefined ? undefined : uploadTimeoutS * 1000, minUploadBytesPerSec: minRate,
      allowHosts: (opts.allowHost as string[] | undefined) ?? [],
    });
    const info = { url: srv.url, root: resolve(String(opts.root)), tokens: tokens?.size ?? 0, anonymous: anonymous ?? (tokens ? 'none' : 'read'), tls: !!opts.tlsCert, maxObjectBytes: Number.isFinite(srv.store.maxObjectBytes) ? srv.store.maxObjectBytes : null };
    if (ctx.json) ctx.outJson(info);
    else ctx.out(`serving ${info.root} at ${info.url} (${info.tokens} token(s), anonymous: ${info.anonymous}); Ctrl-C to stop`, true);
    await new Promise<void>((res) => {
      if (ctx.signal.aborted) res();
      else ctx.signal.addEventListener('abort', () => res(), { once: true });
    });
    await srv.close();
    ctx.info(`stopped: ${srv.stats.created} object(s) stored, ${srv.stats.denied} request(s) denied`);
    return 0;
  },
};
