// Pull and push through the real docker CLI against berthd: Berth's own registry server (run as
// a separate process, so it can be killed mid-pull), Debian's docker-registry (distribution 2.8)
// and skopeo as independent peers. Every registry listens on 127.0.0.1 only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { promises as fs, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { TestDaemon, busyboxTar, freePort } from './harness.js';
import { kill, berthRegistry as startBerthRegistry, distributionRegistry as startDistributionRegistry, dockerAsync as dockerAsyncFor, pullStream as pullStreamFrom } from './registry-helpers.js';

let d: TestDaemon;
const children: ChildProcess[] = [];
const berthRegistry = (root: string, port: number, env: NodeJS.ProcessEnv = {}) => startBerthRegistry(children, root, port, env);
const distributionRegistry = (dir: string, port: number) => startDistributionRegistry(children, dir, port);
const dockerAsync = (args: string[]) => dockerAsyncFor(d, args);
const pullStream = (ref: string, onMessage: (m: any) => void) => pullStreamFrom(d, ref, onMessage);

function layerCount(): number {
  return readdirSync(join(d.dataRoot, 'image', 'overlay2', 'layerdb', 'sha256')).length;
}

function driverDirs(): string[] {
  return readdirSync(join(d.dataRoot, 'overlay2')).filter((n) => n !== 'l').sort();
}

let port: number;
let regRoot: string;

before(async () => {
  d = new TestDaemon();
  await d.start();
  const imp = d.docker(['import', '-c', 'CMD ["sh"]', busyboxTar(d.root), 'busybox']);
  assert.equal(imp.code, 0, imp.stderr);
  port = await freePort();
  regRoot = join(d.root, 'registry');
  await berthRegistry(regRoot, port);
});

after(async () => {
  for (const c of children) await kill(c);
  await d?.stop();
});

test('push to Berth’s registry, then rmi and pull back: progress, digests, a running container', () => {
  const name = `127.0.0.1:${port}/test/busybox`;
  assert.equal(d.docker(['tag', 'busybox', `${name}:v1`]).code, 0);
  const push = d.docker(['push', `${name}:v1`]);
  assert.equal(push.code, 0, push.stderr + push.stdout);
  assert.match(push.stdout, /The push refers to repository \[127\.0\.0\.1:\d+\/test\/busybox\]/);
  assert.match(push.stdout, /[0-9a-f]{12}: Pushed/);
  const m = /v1: digest: (sha256:[0-9a-f]{64}) size: (\d+)/.exec(push.stdout);
  assert.ok(m, push.stdout);
  const digest = m[1]!;

  const again = d.docker(['push', `${name}:v1`]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /Layer already exists/);

  const id = d.docker(['image', 'inspect', '--format', '{{.Id}}', 'busybox']).stdout.trim();
  const rmi = d.docker(['rmi', '-f', id]);
  assert.equal(rmi.code, 0, rmi.stderr);
  assert.equal(layerCount(), 0);

  const pull = d.docker(['pull', `${name}:v1`]);
  assert.equal(pull.code, 0, pull.stderr + pull.stdout);
  assert.match(pull.stdout, /v1: Pulling from test\/busybox/);
  assert.match(pull.stdout, /Pull complete/);
  assert.ok(pull.stdout.includes(`Digest: ${digest}`), pull.stdout);
  assert.match(pull.stdout, /Status: Downloaded newer image for 127\.0\.0\.1:\d+\/test\/busybox:v1/);

  const digests = d.docker(['images', '--digests', '--format', '{{.Repository}} {{.Tag}} {{.Digest}}']);
  assert.ok(digests.stdout.includes(`${name} v1 ${digest}`), digests.stdout);
  const run = d.docker(['run', '--rm', `${name}:v1`, 'echo', 'pulled-ok']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.trim(), 'pulled-ok');

  const up = d.docker(['pull', `${name}:v1`]);
  assert.match(up.stdout, /Image is up to date for/);
  assert.match(up.stdout, /Already exists|Image is up to date/);

  const byDigest = d.docker(['pull', `${name}@${digest}`]);
  assert.equal(byDigest.code, 0, byDigest.stderr);
  const inspect = d.api('GET', `/distribution/${name}:v1/json`);
  return inspect.then((r) => {
    assert.equal(r.status, 200, r.raw);
    assert.equal(r.body.Descriptor.digest, digest);
    assert.deepEqual(r.body.Platforms, [{ architecture: 'amd64', os: 'linux' }]);
  });
});

test('a layer pushed to one repository is mounted into another of the same registry', () => {
  const src = `127.0.0.1:${port}/test/busybox:v1`;
  const dst = `127.0.0.1:${port}/other/copy:v1`;
  assert.equal(d.docker(['tag', src, dst]).code, 0);
  const push = d.docker(['push', dst]);
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stdout, /Mounted from test\/busybox/);
});

test('a Docker Hub name is refused without traffic when no registry mirror is configured', () => {
  const started = Date.now();
  const r = d.docker(['pull', 'busybox-not-here']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /registry-mirrors/);
  assert.ok(Date.now() - started < 5000);
});

test('push to and pull from Debian’s docker-registry (distribution 2.8)', async () => {
  const p = await freePort();
  const reg = await distributionRegistry(join(d.root, 'distribution'), p);
  const name = `127.0.0.1:${p}/dist/busybox:v2`;
  assert.equal(d.docker(['tag', `127.0.0.1:${port}/test/busybox:v1`, name]).code, 0);
  const push = d.docker(['push', name]);
  assert.equal(push.code, 0, push.stderr + push.stdout);
  assert.match(push.stdout, /v2: digest: sha256:[0-9a-f]{64} size: \d+/);
  const id = d.docker(['image', 'inspect', '--format', '{{.Id}}', name]).stdout.trim();
  assert.equal(d.docker(['rmi', '-f', id]).code, 0);
  const pull = d.docker(['pull', name]);
  assert.equal(pull.code, 0, pull.stderr + pull.stdout);
  assert.match(pull.stdout, /Pull complete/);
  assert.equal(d.docker(['image', 'inspect', '--format', '{{.Id}}', name]).stdout.trim(), id);
  await kill(reg);
});

test('skopeo copies what berthd pushed out and back in (Docker and OCI manifests), berthd pulls both', async () => {
  const p = await freePort();
  const reg = await distributionRegistry(join(d.root, 'distribution-skopeo'), p);
  const src = `docker://127.0.0.1:${port}/test/busybox:v1`;
  const insp = spawnSync('skopeo', ['inspect', '--tls-verify=false', src], { encoding: 'utf8' });
  assert.equal(insp.status, 0, insp.stderr);
  assert.equal(JSON.parse(insp.stdout).Architecture, 'amd64');
  const tags = spawnSync('skopeo', ['list-tags', '--tls-verify=false', `docker://127.0.0.1:${port}/test/busybox`], { encoding: 'utf8' });
  assert.deepEqual(JSON.parse(tags.stdout).Tags, ['v1']);
  // berthd's registry → distribution, then as OCI back into berthd's registry under a new name.
  const out = spawnSync('skopeo', ['copy', '--src-tls-verify=false', '--dest-tls-verify=false', src, `docker://127.0.0.1:${p}/copied/busybox:v3`], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  const oci = spawnSync('skopeo', ['copy', '--format', 'oci', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://127.0.0.1:${p}/copied/busybox:v3`, `docker://127.0.0.1:${port}/oci/busybox:v4`], { encoding: 'utf8' });
  assert.equal(oci.status, 0, oci.stderr);
  for (const ref of [`127.0.0.1:${p}/copied/busybox:v3`, `127.0.0.1:${port}/oci/busybox:v4`]) {
    const pull = d.docker(['pull', ref]);
    assert.equal(pull.code, 0, pull.stderr + pull.stdout);
    const run = d.docker(['run', '--rm', ref, 'echo', 'copied-ok']);
    assert.equal(run.stdout.trim(), 'copied-ok', run.stderr);
  }
  await kill(reg);
});

/** A registry that serves one image whose layer blob does not match its digest. */
async function corruptRegistry(): Promise<{ url: string; close(): Promise<void> }> {
  const dir = join(d.root, 'corrupt');
  mkdirSync(join(dir, 'tree'), { recursive: true });
  writeFileSync(join(dir, 'tree', 'hello'), 'hello from a corrupted layer\n'.repeat(1000));
  const tar = spawnSync('tar', ['-C', join(dir, 'tree'), '-cf', '-', '.']).stdout as Buffer;
  const gz = gzipSync(tar);
  const sha = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [sha(tar)] } }));
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: sha(config) }, layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: gz.length, digest: sha(gz) }] }));
  const bad = Buffer.from(gz);
  bad[bad.length - 20] ^= 0xff;
  const blobs = new Map([[sha(config), config], [sha(gz), bad]]);
  const server = http.createServer((req, res) => {
    const url = req.url ?? '';
    if (url === '/v2/') return res.end('{}');
    if (url.includes('/manifests/')) {
      res.writeHead(200, { 'content-type': 'application/vnd.docker.distribution.manifest.v2+json' });
      return res.end(manifest);
    }
    const blob = blobs.get(url.split('/blobs/')[1] ?? '');
    if (blob) return res.end(blob);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

test('a blob whose content does not match its digest is refused and leaves no layer', async () => {
  const reg = await corruptRegistry();
  try {
    const layers = layerCount();
    const dirs = driverDirs();
    const pull = await dockerAsync(['pull', `${reg.url}/bad/image:latest`]);
    assert.notEqual(pull.code, 0);
    assert.match(pull.stderr, /digest mismatch: expected sha256:[0-9a-f]{64} got sha256:[0-9a-f]{64}|incorrect header check|invalid (stored block|distance|code)/);
    assert.equal(layerCount(), layers);
    assertNoNewDirs(dirs);
  } finally {
    // an open server would keep this test file's process alive after a failure
    await reg.close();
  }
});

/**
 * No driver directory appeared. (Ones that vanished meanwhile are fine: a previous test's
 * `run --rm` container may still be reclaiming its layers after its removal was answered.)
 */
function assertNoNewDirs(before: string[]): void {
  const added = driverDirs().filter((n) => !before.includes(n));
  assert.deepEqual(added, []);
}

test('killing the registry in the middle of a 50 MiB pull leaves no layer behind; the retry succeeds', async () => {
  const p = await freePort();
  const root = join(d.root, 'registry-kill');
  let reg = await berthRegistry(root, p);
  const tree = join(d.root, 'big');
  mkdirSync(tree, { recursive: true });
  await fs.writeFile(join(tree, 'random.bin'), randomBytes(50 << 20));
  const tar = join(d.root, 'big.tar');
  assert.equal(spawnSync('tar', ['-C', tree, '-cf', tar, '.']).status, 0);
  const name = `127.0.0.1:${p}/big/random:v1`;
  assert.equal(d.docker(['import', tar, name]).code, 0);
  const push = d.docker(['push', name], { timeout: 120_000 });
  assert.equal(push.code, 0, push.stderr + push.stdout);
  await fs.rm(tar);
  await fs.rm(tree, { recursive: true });
  const id = d.docker(['image', 'inspect', '--format', '{{.Id}}', name]).stdout.trim();
  assert.equal(d.docker(['rmi', '-f', id]).code, 0);

  const layers = layerCount();
  const dirs = driverDirs();
  const kept = join(d.dataRoot, 'image', 'overlay2', 'distribution', 'blobs');
  const keptBefore = readdirSync(join(kept, 'sha256'));
  let killed = false;
  const msgs = await pullStream(name, (m) => {
    if (!killed && m.status === 'Downloading' && m.progressDetail?.current > 0) {
      killed = true;
      reg.kill('SIGKILL');
    }
  });
  assert.ok(killed, 'the registry was killed during the download');
  const last = msgs[msgs.length - 1];
  assert.ok(last.error, JSON.stringify(last));
  assert.equal(layerCount(), layers);
  assertNoNewDirs(dirs);
  assert.notEqual(d.docker(['image', 'inspect', name]).code, 0);
  // No kept blob either: neither a whole one nor the half-downloaded temp file.
  assert.deepEqual(readdirSync(join(kept, 'tmp')), []);
  assert.deepEqual(readdirSync(join(kept, 'sha256')), keptBefore);

  reg = await berthRegistry(root, p);
  const retry = d.docker(['pull', name], { timeout: 120_000 });
  assert.equal(retry.code, 0, retry.stderr + retry.stdout);
  assert.equal(d.docker(['image', 'inspect', '--format', '{{.Id}}', name]).stdout.trim(), id);
  assert.equal(d.docker(['rmi', name]).code, 0);
  await kill(reg);
});

test('docker login checks the password against an htpasswd registry; push needs it', async () => {
  const { bcryptHash } = await import('../../src/distribution/registry/bcrypt.js');
  const dir = join(d.root, 'auth-registry');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'htpasswd'), `alice:${bcryptHash('s3cret', '$2y$05$abcdefghijklmnopqrstuu')}\n`);
  const p = await freePort();
  const reg = await berthRegistry(join(dir, 'data'), p, { REGISTRY_AUTH_HTPASSWD_REALM: 'test', REGISTRY_AUTH_HTPASSWD_PATH: join(dir, 'htpasswd') });
  const bad = d.docker(['login', '-u', 'alice', '-p', 'wrong', `127.0.0.1:${p}`]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /401 Unauthorized/);
  const name = `127.0.0.1:${p}/private/busybox:v1`;
  const anyImage = d.docker(['images', '-q']).stdout.split('\n')[0]!;
  assert.equal(d.docker(['tag', anyImage, name]).code, 0);
  const anon = d.docker(['push', name]);
  assert.notEqual(anon.code, 0);
  const good = d.docker(['login', '-u', 'alice', '-p', 's3cret', `127.0.0.1:${p}`]);
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, /Login Succeeded/);
  const push = d.docker(['push', name]);
  assert.equal(push.code, 0, push.stderr + push.stdout);
  assert.match(push.stdout, /v1: digest:/);
  await kill(reg);
});

test('berth push and berth pull speak to the same registry as docker', () => {
  const name = `127.0.0.1:${port}/berth/cli:v9`;
  const anyImage = d.docker(['images', '-q']).stdout.split('\n')[0]!;
  assert.equal(d.docker(['tag', anyImage, name]).code, 0);
  const push = d.berth(['push', name]);
  assert.equal(push.code, 0, push.stderr + push.stdout);
  assert.match(push.stdout, /v9: digest: sha256:[0-9a-f]{64} size: \d+/);
  assert.equal(d.docker(['rmi', name]).code, 0);
  const pull = d.berth(['pull', name]);
  assert.equal(pull.code, 0, pull.stderr + pull.stdout);
  assert.match(pull.stdout, /Status: (Downloaded newer image|Image is up to date) for 127\.0\.0\.1:\d+\/berth\/cli:v9/);
  assert.equal(pull.stdout.trim().split('\n').pop(), name);
  const hub = d.berth(['pull', 'busybox']);
  assert.equal(hub.code, 1);
  assert.match(hub.stderr, /registry-mirrors/);
});

test('an image of several layers pulls them in parallel and stacks them in order', () => {
  const base = `127.0.0.1:${port}/test/busybox:v1`;
  const name = `127.0.0.1:${port}/test/layered:v1`;
  let from = base;
  for (const n of [1, 2, 3]) {
    const c = `layer-${process.pid}-${n}`;
    const run = d.docker(['run', '--name', c, from, 'sh', '-c', `head -c ${n * 300000} /dev/urandom > /file${n}; echo ${n} >> /order`]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(d.docker(['commit', c, name]).code, 0);
    d.docker(['rm', c]);
    from = name;
  }
  const push = d.docker(['push', name]);
  assert.equal(push.code, 0, push.stderr + push.stdout);
  const id = d.docker(['image', 'inspect', '--format', '{{.Id}}', name]).stdout.trim();
  assert.equal(d.docker(['rmi', '-f', id]).code, 0);
  const baseId = d.docker(['image', 'inspect', '--format', '{{.Id}}', base]).stdout.trim();
  assert.equal(d.docker(['rmi', '-f', baseId]).code, 0);
  const pull = d.docker(['pull', name]);
  assert.equal(pull.code, 0, pull.stderr + pull.stdout);
  assert.equal((pull.stdout.match(/Pull complete|Already exists/g) ?? []).length, 4, pull.stdout);
  assert.ok((pull.stdout.match(/Pull complete/g) ?? []).length >= 3, pull.stdout);
  const run = d.docker(['run', '--rm', name, 'sh', '-c', 'cat /order; ls /file1 /file2 /file3']);
  assert.equal(run.stdout, '1\n2\n3\n/file1\n/file2\n/file3\n', run.stderr);
});
