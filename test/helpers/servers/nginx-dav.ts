/** nginx + libnginx-mod-http-dav-ext as a WebDAV server with its config in a temp dir. */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, killChild, waitFor, type TestServer } from './common.js';
import { spawn, type ChildProcess } from 'node:child_process';

const MOD = '/usr/lib/nginx/modules/ngx_http_dav_ext_module.so';

export async function startNginxDav(): Promise<TestServer & { dataDir: string }> {
  if (!existsSync('/usr/sbin/nginx')) throw new Error('nginx is not installed (apt: nginx libnginx-mod-http-dav-ext)');
  if (!existsSync(MOD)) throw new Error('libnginx-mod-http-dav-ext is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'geodvc-nginx-'));
  const data = join(dir, 'data');
  mkdirSync(data);
  let port = await freePort();
  let child: ChildProcess | undefined;
  const conf = () => `load_module ${MOD};
daemon off; worker_processes 1; user root;
pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  client_max_body_size 0; sendfile on; keepalive_requests 100000;
  server {
    listen 127.0.0.1:${port};
    root ${data};
    location / {
      dav_methods PUT DELETE MKCOL COPY MOVE; dav_ext_methods PROPFIND OPTIONS;
      create_full_put_path on; dav_access user:rw group:rw all:r; min_delete_depth 0;
    }
  }
}
`;
  const start = async () => {
    writeFileSync(join(dir, 'nginx.conf'), conf());
    child = spawn('/usr/sbin/nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d) => { err += d; });
    let exited = false;
    child.on('exit', () => { exited = true; });
    await waitFor(async () => {
      if (exited) throw new Error(`nginx exited: ${err}`);
      const r = await fetch(`http://127.0.0.1:${port}/`, { method: 'OPTIONS' });
      await r.arrayBuffer();
      return true;
    }, 10000, 'nginx').catch((e) => { if (exited) throw new Error(`nginx exited: ${err}`); throw e; });
  };
  await start();
  let n = 0;
  return {
    name: 'nginx-dav',
    dataDir: data,
    get url() { return `webdav://127.0.0.1:${port}/dvc-data`; },
    options: {},
    async newRemote(tag: string) { return { url: `webdav://127.0.0.1:${port}/${tag}-${++n}`, options: {} }; },
    objectPath(remoteUrl: string, key: string) { return join(data, new URL(remoteUrl.replace(/^webdav/, 'http')).pathname, key); },
    async kill() { await killChild(child); },
    async restart() { await start(); },
    async stop() { await killChild(child, 'SIGTERM'); rmSync(dir, { recursive: true, force: true }); },
  };
}
