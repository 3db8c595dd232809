// Who may use the API: the TCP socket with mutual TLS (docker CLI and berth with the right
// certificates get in, clients without one or with another CA's are refused), hijacked attach and
// exec over TLS, the unix socket's mode and group, dockerd's warnings for plain TCP, and
// `berth system dial-stdio` (what DOCKER_HOST=ssh:// runs on the far side).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { statSync, readFileSync, mkdirSync, copyFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { TestDaemon, busyboxTar, DOCKER, REPO, sleep, type RunResult } from './harness.js';

let d: TestDaemon;
let plain: TestDaemon | undefined;
let certs: string;
let otherCerts: string;
let port: number;
const group = `berth-test-${randomBytes(3).toString('hex')}`;
let gid: number;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string): RunResult {
  const r = spawnSync(cmd, args, { env, input, timeout: 60_000, maxBuffer: 16 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout?.toString() ?? '', stderr: (r.stderr?.toString() ?? '') + (r.error ? String(r.error) : '') };
}

function tlsEnv(certDir: string): NodeJS.ProcessEnv {
  const host = `tcp://127.0.0.1:${port}`;
  return { ...d.env, DOCKER_HOST: host, BERTH_HOST: host, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certDir };
}

const berthBin = () => join(REPO, 'bin/berth');

async function listenPort(daemon: TestDaemon, marker: RegExp): Promise<number> {
  for (let i = 0; i < 400; i++) {
    const m = marker.exec(daemon.log);
    if (m) return Number(m[1]);
    await sleep(50);
  }
  throw new Error(`no TCP listener in the log:\n${daemon.log}`);
}

before(async () => {
  const g = spawnSync('groupadd', ['-r', group], { encoding: 'utf8' });
  assert.equal(g.status, 0, g.stderr);
  gid = Number(spawnSync('getent', ['group', group], { encoding: 'utf8' }).stdout.split(':')[2]);
  d = new TestDaemon();
  certs = join(d.root, 'certs');
  otherCerts = join(d.root, 'other-certs');
  for (const dir of [certs, otherCerts]) {
    const r = run(process.execPath, [berthBin(), 'certs', 'create', '--dir', dir], process.env);
    assert.equal(r.code, 0, r.stderr);
  }
  await d.start([
    '--group', group,
    '-H', 'tcp://127.0.0.1:0',
    '--tlsverify', '--tlscacert', join(certs, 'ca.pem'), '--tlscert', join(certs, 'server-cert.pem'), '--tlskey', join(certs, 'server-key.pem'),
  ]);
  port = await listenPort(d, /API listen on 127\.0\.0\.1:(\d+) \(TLS, client certificates required\)/);
  const imp = d.docker(['import', busyboxTar(d.root), 'busybox']);
  assert.equal(imp.code, 0, imp.stderr);
});

after(async () => {
  try {
    await plain?.stop();
    await d?.stop();
  } finally {
    const del = spawnSync('groupdel', [group], { encoding: 'utf8' });
    if (del.status !== 0) console.error(`groupdel ${group}: ${del.stderr}`);
  }
});

test('the unix socket is mode 0660 and owned by root and the configured group', () => {
  const st = statSync(d.socket);
  assert.equal(st.mode & 0o777, 0o660);
  assert.equal(st.uid, 0);
  assert.equal(st.gid, gid);
});

test('berth certs create makes a server certificate for localhost and 127.0.0.1, signed by its CA', () => {
  const san = run('openssl', ['x509', '-in', join(certs, 'server-cert.pem'), '-noout', '-ext', 'subjectAltName'], process.env);
  assert.match(san.stdout, /DNS:localhost/);
  assert.match(san.stdout, /IP Address:127\.0\.0\.1/);
  const v = run('openssl', ['verify', '-CAfile', join(certs, 'ca.pem'), join(certs, 'server-cert.pem'), join(certs, 'cert.pem')], process.env);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.equal(statSync(join(certs, 'key.pem')).mode & 0o777, 0o400);
  const again = run(process.execPath, [berthBin(), 'certs', 'create', '--dir', certs], process.env);
  assert.notEqual(again.code, 0, 'an existing CA must not be overwritten');
  assert.match(again.stderr, /already exists/);
});

test('the docker CLI with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH reaches the daemon over TLS', () => {
  const r = run(DOCKER, ['version', '--format', '{{.Server.Version}}'], tlsEnv(certs));
  assert.equal(r.code, 0, r.stderr);
  assert.notEqual(r.stdout.trim(), '');
  const flags = run(DOCKER, ['--tlsverify', '--tlscacert', join(certs, 'ca.pem'), '--tlscert', join(certs, 'cert.pem'), '--tlskey', join(certs, 'key.pem'), '-H', `tcp://127.0.0.1:${port}`, 'info', '--format', '{{.ID}}'], d.env);
  assert.equal(flags.code, 0, flags.stderr);
});

test('docker run with attach and docker exec -it work over TLS (hijacked streams)', () => {
  const env = tlsEnv(certs);
  const r = run(DOCKER, ['run', '--rm', '-i', 'busybox', 'sh', '-c', 'read x; echo got-$x'], env, 'over-tls\n');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'got-over-tls\n');
  const c = run(DOCKER, ['run', '-d', 'busybox', 'sleep', '60'], env);
  assert.equal(c.code, 0, c.stderr);
  const id = c.stdout.trim();
  // script(1) gives docker a terminal so that -t is honoured.
  const tty = run('script', ['-qec', `${DOCKER} exec -it ${id} sh -c 'tty; echo exec-ok'`, '/dev/null'], env);
  assert.equal(tty.code, 0, tty.stdout + tty.stderr);
  assert.match(tty.stdout, /\/dev\/pts\/\d+/);
  assert.match(tty.stdout, /exec-ok/);
  run(DOCKER, ['rm', '-f', id], env);
});

test('berth with --tlsverify (and with DOCKER_TLS_VERIFY) works over TLS', () => {
  const host = `tcp://127.0.0.1:${port}`;
  const viaFlags = run(process.execPath, [berthBin(), '--tlsverify', '--tlscacert', join(certs, 'ca.pem'), '--tlscert', join(certs, 'cert.pem'), '--tlskey', join(certs, 'key.pem'), '-H', host, 'run', '--rm', 'busybox', 'echo', 'berth-tls'], { ...d.env, BERTH_HOST: '', DOCKER_HOST: '' });
  assert.equal(viaFlags.code, 0, viaFlags.stderr);
  assert.equal(viaFlags.stdout, 'berth-tls\n');
  const viaEnv = run(process.execPath, [berthBin(), 'version'], tlsEnv(certs));
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  assert.match(viaEnv.stdout, /Server/);
});

test('clients without a certificate or with another CA\'s certificate are refused', async () => {
  // Trusts the daemon's CA but has no certificate of its own.
  const caOnly = join(d.root, 'ca-only');
  mkdirSync(caOnly);
  copyFileSync(join(certs, 'ca.pem'), join(caOnly, 'ca.pem'));
  const noCert = run(DOCKER, ['version', '--format', '{{.Server.Version}}'], tlsEnv(caOnly));
  assert.notEqual(noCert.code, 0);
  assert.match(noCert.stderr, /certificate|tls|remote error/i);

  // The other CA's client certificate, trusting the right server CA: the daemon must refuse it.
  const status = await new Promise<string>((resolve) => {
    const req = https.request(
      { host: '127.0.0.1', port, path: '/_ping', ca: readFileSync(join(certs, 'ca.pem')), cert: readFileSync(join(otherCerts, 'cert.pem')), key: readFileSync(join(otherCerts, 'key.pem')) },
      (res) => resolve(`status ${res.statusCode}`),
    );
    req.on('error', (err) => resolve(`error ${err.message}`));
    req.end();
  });
  assert.match(status, /^error /, `a foreign client certificate got ${status}`);

  const foreign = run(DOCKER, ['version', '--format', '{{.Server.Version}}'], tlsEnv(otherCerts));
  assert.notEqual(foreign.code, 0);
  assert.equal(foreign.stdout.trim(), '');
});

test('berth system dial-stdio carries a ping and a hijacked attach to the daemon', async () => {
  const ping = run(process.execPath, [berthBin(), 'system', 'dial-stdio'], d.env, 'GET /_ping HTTP/1.1\r\nHost: berth\r\nConnection: close\r\n\r\n');
  assert.equal(ping.code, 0, ping.stderr);
  assert.match(ping.stdout, /^HTTP\/1\.1 200 OK/);
  assert.match(ping.stdout, /\r\n\r\nOK$/);

  const overTls = run(process.execPath, [berthBin(), 'system', 'dial-stdio'], tlsEnv(certs), 'GET /_ping HTTP/1.1\r\nHost: berth\r\nConnection: close\r\n\r\n');
  assert.equal(overTls.code, 0, overTls.stderr);
  assert.match(overTls.stdout, /\r\n\r\nOK$/);

  const c = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: ['cat'], OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true });
  assert.equal(c.status, 201, c.raw);
  const id = c.body.Id as string;
  assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
  const p = spawn(process.execPath, [berthBin(), 'system', 'dial-stdio'], { env: d.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (b: Buffer) => (out += b.toString('latin1')));
  const exited = new Promise<number>((r) => p.on('exit', (code) => r(code ?? -1)));
  p.stdin.write(`POST /containers/${id}/attach?stream=1&stdin=1&stdout=1 HTTP/1.1\r\nHost: berth\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n`);
  for (let i = 0; i < 200 && !out.includes('101'); i++) await sleep(50);
  assert.match(out, /^HTTP\/1\.1 101/);
  p.stdin.write('through-dial-stdio\n');
  for (let i = 0; i < 200 && !out.includes('through-dial-stdio'); i++) await sleep(50);
  assert.match(out, /through-dial-stdio/);
  p.stdin.end(); // StdinOnce: closing stdin ends cat, the stream and dial-stdio
  const code = await Promise.race([exited, sleep(30_000).then(() => 'timeout')]);
  assert.equal(code, 0, `dial-stdio did not finish: ${out}`);
  await d.api('DELETE', `/containers/${id}?force=1`);
});

test('plain tcp:// starts only after dockerd\'s warnings and serves without TLS', async () => {
  plain = new TestDaemon();
  const started = Date.now();
  await plain.start(['-H', 'tcp://127.0.0.1:0']);
  const plainPort = await listenPort(plain, /API listen on 127\.0\.0\.1:(\d+)\s*"/);
  assert.ok(Date.now() - started >= 1000, 'start-up pauses a second to show the warning');
  assert.match(plain.log, /level=warn msg="Binding to IP address without --tlsverify is insecure and gives root access on this machine to everyone who has access to your network\. host=\\"tcp:\/\/127\.0\.0\.1:0\\""/);
  assert.match(plain.log, /Binding to an IP address, even on localhost, can also give access to scripts run in a browser/);
  // Loopback: no extra fifteen-second delay (that is for other addresses, see test/unit/tls).
  assert.doesNotMatch(plain.log, /Startup is intentionally being slowed down/);
  const r = run(DOCKER, ['-H', `tcp://127.0.0.1:${plainPort}`, 'version', '--format', '{{.Server.Version}}'], plain.env);
  assert.equal(r.code, 0, r.stderr);
});
