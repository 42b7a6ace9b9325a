/** Debian's OpenSSH sshd as root with a config, host key and client key in a temp dir (internal-sftp). */
import { mkdtempSync, rmSync, writeFileSync, readFileSync, mkdirSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnUntil, killChild, type TestServer } from './common.js';

export async function startSshd(): Promise<TestServer & { dataDir: string }> {
  if (!existsSync('/usr/sbin/sshd')) throw new Error('/usr/sbin/sshd is not installed (apt: openssh-server)');
  const dir = mkdtempSync(join(tmpdir(), 'geodvc-sshd-'));
  const data = join(dir, 'data');
  mkdirSync(data);
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'client_key')]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')));
  const hostKey = readFileSync(join(dir, 'host_key.pub'), 'utf8').split(' ')[1]!;
  let port = 0;
  let child: import('node:child_process').ChildProcess | undefined;
  const start = async () => {
    for (let attempt = 0; ; attempt++) {
      if (!port || attempt > 0) port = await freePort();
      writeFileSync(join(dir, 'sshd_config'), [
        `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${join(dir, 'host_key')}`, `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`, 'UsePAM no', 'StrictModes no', 'PubkeyAuthentication yes',
        'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'PermitRootLogin prohibit-password',
        'Subsystem sftp internal-sftp', 'LogLevel INFO', 'MaxStartups 100', 'MaxSessions 100', '',
      ].join('\n'));
      try {
        const s = await spawnUntil('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], /Server listening on 127\.0\.0\.1 port (\d+)/);
        child = s.child;
        return;
      } catch (err) {
        if (attempt < 3 && /Address already in use/.test(String(err))) continue;
        throw err;
      }
    }
  };
  await start();
  let n = 0;
  const opts = () => ({ keyfile: join(dir, 'client_key'), host_key: hostKey, user: 'root' });
  return {
    name: 'sshd',
    dataDir: data,
    get url() { return `ssh://root@127.0.0.1:${port}${data}/dvc-data`; },
    get options() { return opts(); },
    async newRemote(tag: string) { return { url: `ssh://root@127.0.0.1:${port}${data}/${tag}-${++n}`, options: opts() }; },
    objectPath(remoteUrl: string, key: string) { return join(new URL(remoteUrl).pathname, key); },
    async kill() { await killChild(child); },
    async restart() {
      // same port: sshd binds at once; a short retry covers TIME_WAIT
      const keep = port;
      const s = await spawnUntil('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], /Server listening on 127\.0\.0\.1 port (\d+)/);
      child = s.child;
      port = keep;
    },
    async stop() { await killChild(child); rmSync(dir, { recursive: true, force: true }); },
  };
}
