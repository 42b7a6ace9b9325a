import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHostCheck, splitHostHeader } from './host-check.js';

test('splitHostHeader: names, ports, bracketed IPv6; malformed values refused', () => {
  assert.deepEqual(splitHostHeader('LocalHost:8080'), { name: 'localhost', port: 8080 });
  assert.deepEqual(splitHostHeader('localhost.'), { name: 'localhost', port: undefined });
  assert.deepEqual(splitHostHeader('[::1]:9'), { name: '::1', port: 9 });
  assert.deepEqual(splitHostHeader('[::1]'), { name: '::1', port: undefined });
  for (const bad of ['', '::1', '[::1', '[::1]x', '[evil]:80', 'a:b', 'a:99999', 'a b', 'a@b:80', 'a:80:80', 'x'.repeat(301)]) {
    assert.equal(splitHostHeader(bad), undefined, JSON.stringify(bad));
  }
});

test('Host: loopback names with the bound port, the bound address, IP literals on a wildcard, --allow-host', () => {
  const lo = createHostCheck({ host: '127.0.0.1', port: 8765 });
  for (const ok of ['127.0.0.1:8765', 'localhost:8765', '[::1]:8765', 'LOCALHOST:8765']) assert.equal(lo.checkHost(ok).ok, true, ok);
  for (const bad of ['evil.example:8765', 'evil.example', '127.0.0.1:8766', '127.0.0.1', '10.0.0.5:8765', '127.0.0.1.nip.io:8765', 'localhost.evil:8765']) {
    const v = lo.checkHost(bad);
    assert.equal(v.ok, false, bad);
    if (!v.ok) { assert.equal(v.status, 421); assert.match(v.reason, /accepted: 127\.0\.0\.1:8765, localhost:8765, \[::1\]:8765/); }
  }
  assert.equal(lo.checkHost(undefined).ok, true, 'HTTP/1.0 without Host');
  // port 80 may be left out
  assert.equal(createHostCheck({ host: '127.0.0.1', port: 80 }).checkHost('localhost').ok, true);
  assert.equal(createHostCheck({ host: '127.0.0.1', port: 443, tls: true }).checkHost('localhost').ok, true);
  const lan = createHostCheck({ host: '192.168.1.7', port: 8080 });
  assert.equal(lan.checkHost('192.168.1.7:8080').ok, true);
  assert.equal(lan.checkHost('10.1.1.1:8080').ok, false);
  const any = createHostCheck({ host: '0.0.0.0', port: 8080, allowHosts: ['data.example.org', 'proxy.example.org:8443'] });
  assert.equal(any.checkHost('10.1.1.1:8080').ok, true, 'an IP literal cannot be rebound');
  assert.equal(any.checkHost('[fe80::1]:8080').ok, true);
  assert.equal(any.checkHost('data.example.org').ok, true);
  assert.equal(any.checkHost('data.example.org:9999').ok, true, 'a name without port matches any port');
  assert.equal(any.checkHost('proxy.example.org:8443').ok, true);
  assert.equal(any.checkHost('proxy.example.org:8080').ok, false);
  assert.equal(any.checkHost('rebind.example:8080').ok, false);
});

test('Origin: checked on state-changing requests only', () => {
  const c = createHostCheck({ host: '127.0.0.1', port: 8080 });
  assert.equal(c.checkOrigin('PUT', undefined).ok, true);
  assert.equal(c.checkOrigin('GET', 'https://evil.example').ok, true);
  assert.equal(c.checkOrigin('OPTIONS', 'https://evil.example').ok, true);
  assert.equal(c.checkOrigin('POST', 'http://localhost:8080').ok, true);
  for (const bad of ['https://evil.example', 'null', 'http://localhost:9090', 'file://', 'not a url', 'ftp://127.0.0.1:8080']) {
    const v = c.checkOrigin('DELETE', bad);
    assert.equal(v.ok, false, bad);
    if (!v.ok) { assert.equal(v.status, 403); assert.match(v.reason, /cross-origin DELETE/); }
  }
});
