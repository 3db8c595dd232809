// Pull and push through the real docker CLI against berthd: Berth's own registry server (run as
// a separate process, so it can be killed mid-pull), Debian's docker-registry (distribution 2.8)
// and skopeo as independent peers. Every registry listens on 127.0.0.1 only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { promises as fs, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { TestDaemon, busyboxTar, REPO, sleep } from './harness.js';

let d: TestDaemon;
const children: ChildProcess[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitHttp(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      http.get(url, (res) => {
        res.resume();
        resolve(true);
      }).on('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`${url} did not answer`);
}

/** Berth's registry server as its own process. */
async function berthRegistry(root: string, port: number): Promise<ChildProcess> {
  const p = spawn(process.execPath, [join(REPO, 'dist/src/distribution/registry/main.js'), 'serve', '--addr', `127.0.0.1:${port}`, '--root', root], { stdio: 'ignore' });
  children.push(p);
  await waitHttp(`http://127.0.0.1:${port}/v2/`);
  return p;
}

/** Debian's docker-registry with a config of our own (the packaged one turns on htpasswd). */
async function distributionRegistry(dir: string, port: number): Promise<ChildProcess> {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const cfg = join(dir, 'config.yml');
  writeFileSync(cfg, `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n`);
  const p = spawn('/usr/bin/docker-registry', ['serve', cfg], { stdio: 'ignore' });
  children.push(p);
  await waitHttp(`http://127.0.0.1:${port}/v2/`);
  return p;
}

async function kill(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await gone;
}

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
