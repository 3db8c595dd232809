// -H parsing with dockerd's defaults, TLS modes, and which TCP sockets get dockerd's warnings
// and start-up delay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { insecureTcpNotice, parseListenAddress, tlsMode } from '../../../src/api/listeners.js';
import { parseFlags } from '../../../src/daemon/config.js';

const tcp = (spec: string, tls = false) => {
  const a = parseListenAddress(spec, tls);
  assert.equal(a.proto, 'tcp');
  return a as Extract<typeof a, { proto: 'tcp' }>;
};

test('tcp:// defaults: port 2375 plain, 2376 with TLS, host 127.0.0.1; IPv6 in brackets', () => {
  assert.deepEqual(tcp('tcp://0.0.0.0'), { proto: 'tcp', host: '0.0.0.0', port: 2375, spec: 'tcp://0.0.0.0:2375' });
  assert.equal(tcp('tcp://0.0.0.0', true).port, 2376);
  assert.equal(tcp('tcp://:2380').host, '127.0.0.1');
  assert.deepEqual(tcp('tcp://[::1]:2376'), { proto: 'tcp', host: '::1', port: 2376, spec: 'tcp://[::1]:2376' });
  assert.deepEqual(parseListenAddress('unix:///run/b.sock', false), { proto: 'unix', path: '/run/b.sock' });
});

test('bad hosts are refused with the address in the message', () => {
  assert.throws(() => parseListenAddress('tcp://1.2.3.4:99999', false), /invalid bind address \(tcp:\/\/1\.2\.3\.4:99999\)/);
  assert.throws(() => parseListenAddress('tcp://1.2.3.4:2375/path', false), /should not contain a path/);
  assert.throws(() => parseListenAddress('fd://', false), /not supported/);
  assert.throws(() => parseListenAddress('udp://x', false), /unsupported proto 'udp'/);
});

test('TLS modes as dockerd: --tlsverify implies TLS, --tls alone does not verify clients', () => {
  assert.deepEqual(tlsMode({}), { tls: false, verify: false });
  assert.deepEqual(tlsMode({ tls: true }), { tls: true, verify: false });
  assert.deepEqual(tlsMode({ tlsVerify: true }), { tls: true, verify: true });
  assert.deepEqual(tlsMode({ tlsVerify: false }), { tls: true, verify: false });
  assert.deepEqual(tlsMode({ tls: false, tlsVerify: false }), { tls: false, verify: false });
});

test('no warning when clients must present certificates', () => {
  assert.equal(insecureTcpNotice(tcp('tcp://0.0.0.0:2376'), { tlsVerify: true }), undefined);
});

test('unauthenticated loopback: three warnings and one second', () => {
  const n = insecureTcpNotice(tcp('tcp://127.0.0.1:2375'), {})!;
  assert.equal(n.delayMs, 1000);
  assert.equal(n.warnings.length, 3);
  assert.match(n.warnings[0]!, /without --tlsverify is insecure and gives root access/);
  assert.equal(insecureTcpNotice(tcp('tcp://localhost:2375'), {})!.delayMs, 1000);
});

test('unauthenticated non-loopback: sixteen seconds unless TLS was explicitly turned off', () => {
  const n = insecureTcpNotice(tcp('tcp://0.0.0.0:2375'), {})!;
  assert.equal(n.delayMs, 16_000);
  assert.ok(n.warnings.some((w) => /Startup is intentionally being slowed down/.test(w)));
  assert.ok(n.warnings.some((w) => w.includes("'--tls=false' or '--tlsverify=false'")));
  assert.equal(insecureTcpNotice(tcp('tcp://0.0.0.0:2375'), { tls: false })!.delayMs, 1000);
  // TLS without client verification is still unauthenticated.
  assert.equal(insecureTcpNotice(tcp('tcp://0.0.0.0:2376', true), { tls: true })!.delayMs, 16_000);
});

test('berthd flags: --tls, --tlsverify[=bool], certificate paths', () => {
  const f = parseFlags(['--tlsverify', '--tlscacert', '/c/ca.pem', '--tlscert=/c/s.pem', '--tlskey', '/c/k.pem', '--tls=false']).values;
  assert.equal(f.tlsVerify, true);
  assert.equal(f.tls, false);
  assert.equal(f.tlsCaCert, '/c/ca.pem');
  assert.equal(f.tlsCert, '/c/s.pem');
  assert.equal(f.tlsKey, '/c/k.pem');
  assert.equal(parseFlags([]).values.tlsVerify, undefined);
  assert.throws(() => parseFlags(['--tlsverify=maybe']), /invalid argument "maybe" for "--tlsverify" flag/);
});
