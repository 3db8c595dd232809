// The berth CLI's TLS settings from flags and DOCKER_TLS_VERIFY/DOCKER_CERT_PATH, and
// `berth certs create` output checked with openssl itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { X509Certificate } from 'node:crypto';
import { resolveClientTls } from '../../../src/cli/tls.js';
import { createCertificates } from '../../../src/daemon/certs.js';

test('no TLS unless --tls, --tlsverify or DOCKER_TLS_VERIFY asks for it', () => {
  assert.equal(resolveClientTls({}, {}), undefined);
  assert.equal(resolveClientTls({ tlsverify: false }, { DOCKER_TLS_VERIFY: '1' }), undefined);
});

test('DOCKER_CERT_PATH supplies ca.pem, cert.pem and key.pem; DOCKER_TLS_VERIFY turns verification on', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-tls-'));
  try {
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(dir, f), f);
    const t = resolveClientTls({}, { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir })!;
    assert.equal(t.verify, true);
    assert.equal(t.ca?.toString(), 'ca.pem');
    assert.equal(t.cert?.toString(), 'cert.pem');
    assert.equal(t.key?.toString(), 'key.pem');
    const plainTls = resolveClientTls({ tls: true }, { DOCKER_CERT_PATH: dir })!;
    assert.equal(plainTls.verify, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing default file is skipped, a missing named file is an error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-tls-'));
  try {
    const t = resolveClientTls({ tlsverify: true }, { DOCKER_CERT_PATH: dir })!;
    assert.equal(t.ca, undefined);
    assert.equal(t.cert, undefined);
    assert.throws(() => resolveClientTls({ tlsverify: true, tlscacert: join(dir, 'nope.pem') }, {}), /could not read .*nope\.pem/);
    writeFileSync(join(dir, 'cert.pem'), 'x');
    assert.throws(() => resolveClientTls({ tlsverify: true }, { DOCKER_CERT_PATH: dir }), /both a certificate .* and a key/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('createCertificates: server cert for loopback names with serverAuth, client cert with clientAuth, both from the CA', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'berth-certs-')), 'c');
  try {
    const made = await createCertificates({ dir, hostnames: ['docker.example', '10.1.2.3'] });
    const ca = new X509Certificate(readFileSync(made.files.caCert));
    const server = new X509Certificate(readFileSync(made.files.serverCert));
    const client = new X509Certificate(readFileSync(made.files.clientCert));
    assert.ok(ca.ca);
    assert.ok(server.verify(ca.publicKey) && server.checkIssued(ca));
    assert.ok(client.verify(ca.publicKey) && client.checkIssued(ca));
    assert.equal(server.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(server.checkIP('10.1.2.3'), '10.1.2.3');
    assert.equal(server.checkHost('localhost'), 'localhost');
    assert.equal(server.checkHost('docker.example'), 'docker.example');
    assert.deepEqual(server.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.deepEqual(client.keyUsage, ['1.3.6.1.5.5.7.3.2']);
    await assert.rejects(createCertificates({ dir }), /already exists/);
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
});
