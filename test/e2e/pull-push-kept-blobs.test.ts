// Compressed blobs kept from pulls: a pulled layer's blob stays in the data root exactly as the
// registry served it, a push to another registry sends those bytes (same layer and manifest
// digests, though berthd's own gzip would make other bytes), and it goes with the last image or
// container using its layer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { TestDaemon, busyboxTar, freePort, sleep } from './harness.js';
import { berthRegistry, distributionRegistry, kill } from './registry-helpers.js';
import { keptBlobBytes } from '../../src/distribution/client/kept-blobs.js';

let d: TestDaemon;
const children: ChildProcess[] = [];
const sha = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');

before(async () => {
  d = new TestDaemon();
  await d.start();
});

after(async () => {
  for (const c of children) await kill(c);
  await d?.stop();
});

async function uploadBlob(base: string, repo: string, data: Buffer): Promise<void> {
  const start = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  assert.equal(start.status, 202);
  const put = new URL(start.headers.get('location')!, base);
  put.searchParams.set('digest', sha(data));
  const done = await fetch(put, { method: 'PUT', body: data, headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(done.status, 201, await done.text());
}

const keptDir = () => join(d.dataRoot, 'image', 'overlay2', 'distribution', 'blobs');

test('a pulled layer is kept as served, pushed elsewhere byte for byte, and removed with its image', async () => {
  const pA = await freePort();
  const pB = await freePort();
  await berthRegistry(children, join(d.root, 'reg-a'), pA);
  await distributionRegistry(children, join(d.root, 'reg-b'), pB);

  // An image whose layer was compressed at gzip level 1: berthd's own level-6 gzip of the same
  // tar gives other bytes, so only a kept blob can come out with this digest again.
  const tar = readFileSync(busyboxTar(d.root));
  const gz = gzipSync(tar, { level: 1 });
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [sha(tar)] }, history: [{ created_by: 'test' }] }));
  const manifest = Buffer.from(
    JSON.stringify(
      {
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: sha(config) },
        layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: gz.length, digest: sha(gz) }],
      },
      null,
      3,
    ),
  );
  const a = `http://127.0.0.1:${pA}`;
  await uploadBlob(a, 'kept/busybox', gz);
  await uploadBlob(a, 'kept/busybox', config);
  const put = await fetch(`${a}/v2/kept/busybox/manifests/v1`, { method: 'PUT', body: manifest, headers: { 'content-type': 'application/vnd.docker.distribution.manifest.v2+json' } });
  assert.equal(put.status, 201, await put.text());

  const src = `127.0.0.1:${pA}/kept/busybox:v1`;
  const pull = d.docker(['pull', src]);
  assert.equal(pull.code, 0, pull.stderr + pull.stdout);
  const keptFile = join(keptDir(), 'sha256', sha(gz).slice(7));
  assert.ok(existsSync(keptFile), 'the layer blob is kept');
  assert.equal(sha(readFileSync(keptFile)), sha(gz));
  assert.equal(await keptBlobBytes(d.dataRoot), gz.length);
  assert.deepEqual(readdirSync(join(keptDir(), 'tmp')), []);

  const dst = `127.0.0.1:${pB}/copy/busybox:v1`;
  assert.equal(d.docker(['tag', src, dst]).code, 0);
  const push = d.docker(['push', dst]);
  assert.equal(push.code, 0, push.stderr + push.stdout);
  assert.match(push.stdout, /Pushed/);
  assert.ok(push.stdout.includes(`v1: digest: ${sha(manifest)} size: ${manifest.length}`), push.stdout);
  const head = await fetch(`http://127.0.0.1:${pB}/v2/copy/busybox/blobs/${sha(gz)}`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(Number(head.headers.get('content-length')), gz.length);

  // The pulled copy runs, and pulling it back from the second registry finds the same image.
  const run = d.docker(['run', '--rm', dst, 'echo', 'kept-ok']);
  assert.equal(run.stdout.trim(), 'kept-ok', run.stderr);

  assert.equal(d.docker(['rmi', src]).code, 0);
  assert.ok(existsSync(keptFile), 'still kept while another tag holds the image');
  // A stopped container keeps the layer (and so its blob) after the image is forced out; the blob
  // goes when the container does, without waiting for a daemon restart.
  const created = d.docker(['create', '--name', 'kept-holder', dst, 'true']);
  assert.equal(created.code, 0, created.stderr);
  const rmi = d.docker(['rmi', '-f', dst]);
  assert.equal(rmi.code, 0, rmi.stderr);
  // As Docker: forced, a stopped container does not keep the image, only its layers.
  assert.match(rmi.stdout, /Deleted: sha256:/);
  assert.notEqual(d.docker(['image', 'inspect', dst]).code, 0);
  assert.equal(d.docker(['start', '-a', 'kept-holder']).code, 0, 'the container still runs on its layers');
  assert.ok(existsSync(keptFile), 'kept while a container uses the layer');
  assert.equal(d.docker(['rm', 'kept-holder']).code, 0);
  // `rm` is answered before the container's layers are reclaimed.
  for (let i = 0; i < 100 && existsSync(keptFile); i++) await sleep(50);
  assert.ok(!existsSync(keptFile), 'the kept blob goes with the last user of its layer');
  assert.equal(await keptBlobBytes(d.dataRoot), 0);
});
