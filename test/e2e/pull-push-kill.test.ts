// Interrupted 200 MiB pulls and pushes: the registry (its own process) or berthd itself is
// SIGKILLed while the layer streams. After a pull, no layer half-exists (no image, no layer record,
// no new driver directory, no kept blob or its temp file); after a push, the registry shows no
// part of the upload and the local image is whole. The next attempt succeeds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { promises as fs, readdirSync, mkdirSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { TestDaemon, busyboxTar, freePort } from './harness.js';
import { berthRegistry, kill, pullStream, pushStream } from './registry-helpers.js';

let d: TestDaemon;
const children: ChildProcess[] = [];
let port: number;
let regRoot: string;
let registry: ChildProcess;
let name: string;
let imageId: string;
let fileHash: string;
/** The image's one layer (its diffID is its chainID). */
const SIZE = 200 << 20;

before(async () => {
  d = new TestDaemon();
  await d.start();
  port = await freePort();
  regRoot = join(d.root, 'registry');
  registry = await berthRegistry(children, regRoot, port);
  // busybox plus 200 MiB of random bytes (gzip cannot shrink them), in one layer.
  const tree = join(d.root, 'tree');
  mkdirSync(tree);
  assert.equal(spawnSync('tar', ['-C', tree, '-xf', busyboxTar(d.root)]).status, 0);
  const data = randomBytes(SIZE);
  fileHash = createHash('sha256').update(data).digest('hex');
  await fs.writeFile(join(tree, 'random.bin'), data);
  const tar = join(d.root, 'big.tar');
  assert.equal(spawnSync('tar', ['-C', tree, '-cf', tar, '.']).status, 0);
  await fs.rm(tree, { recursive: true });
  name = `127.0.0.1:${port}/big/random:v1`;
  const imp = d.docker(['import', '-c', 'CMD ["sh"]', tar, name], { timeout: 120_000 });
  assert.equal(imp.code, 0, imp.stderr);
  await fs.rm(tar);
  const push = d.docker(['push', name], { timeout: 120_000 });
  assert.equal(push.code, 0, push.stderr + push.stdout);
  imageId = d.docker(['image', 'inspect', '--format', '{{.Id}}', name]).stdout.trim();
  assert.equal(d.docker(['rmi', name]).code, 0);
});

after(async () => {
  for (const c of children) await kill(c);
  await d?.stop();
});

const ls = (...p: string[]) => readdirSync(join(d.dataRoot, ...p)).sort();
const kept = ['image', 'overlay2', 'distribution', 'blobs'];

/** What a pull must not leave behind when it fails. */
function snapshot() {
  return { layers: ls('image', 'overlay2', 'layerdb', 'sha256'), dirs: ls('overlay2').filter((n) => n !== 'l'), kept: ls(...kept, 'sha256') };
}

/**
 * Checked after the daemon is back: a whole layer that a daemon killed between registering it
 * and writing its image left is removed by the start-up sweep, so no layer record may appear.
 */
function assertNothingHalfMade(before: ReturnType<typeof snapshot>): void {
  const now = snapshot();
  const newLayers = now.layers.filter((n) => !before.layers.includes(n));
  assert.deepEqual(newLayers, [], 'no layer record appeared');
  assert.deepEqual(now.kept, before.kept, 'no kept blob appeared');
  // Directories that vanished are fine (reclaimed); none may have appeared but a whole layer's.
  assert.ok(now.dirs.filter((n) => !before.dirs.includes(n)).length <= newLayers.length, 'no driver directory appeared');
  assert.deepEqual(ls(...kept, 'tmp'), [], 'no temp file of a kept blob is left');
  assert.ok(!d.docker(['images', '--format', '{{.Repository}}:{{.Tag}}']).stdout.includes('big/random'), 'the image is not listed');
  assert.notEqual(d.docker(['image', 'inspect', name]).code, 0);
}

/** Starts a pull and calls `interrupt` once Downloading has passed some bytes; resolves with its messages (or the error when the connection drops). */
async function interruptedPull(interrupt: () => void): Promise<{ killed: boolean; messages: any[] | Error }> {
  let killed = false;
  const messages = await pullStream(d, name, (m) => {
    if (!killed && m.status === 'Downloading' && m.progressDetail?.current > 0 && m.progressDetail.current < m.progressDetail.total) {
      killed = true;
      interrupt();
    }
  }).catch((err: Error) => err);
  return { killed, messages };
}

function assertPullsAndRuns(): void {
  const pull = d.docker(['pull', name], { timeout: 120_000 });
  assert.equal(pull.code, 0, pull.stderr + pull.stdout);
  assert.equal(d.docker(['image', 'inspect', '--format', '{{.Id}}', name]).stdout.trim(), imageId);
  const run = d.docker(['run', '--rm', name, 'sha256sum', '/random.bin'], { timeout: 60_000 });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.split(/\s+/)[0], fileHash);
}

test('registry SIGKILLed mid-pull of 200 MiB: nothing half-made; restarted on the same root and port, the pull succeeds', async () => {
  const before = snapshot();
  const r = await interruptedPull(() => registry.kill('SIGKILL'));
  assert.ok(r.killed, 'the registry was killed while the layer was downloading');
  assert.ok(Array.isArray(r.messages));
  const last = r.messages[r.messages.length - 1];
  assert.ok(last.error, JSON.stringify(last));
  assertNothingHalfMade(before);

  registry = await berthRegistry(children, regRoot, port);
  assertPullsAndRuns();
  assert.equal(d.docker(['rmi', name]).code, 0);
});

test('berthd SIGKILLed mid-pull of 200 MiB: restarted, its data root is consistent and the pull succeeds', async () => {
  const before = snapshot();
  let killing: Promise<void> | undefined;
  const r = await interruptedPull(() => (killing = d.kill9()));
  await killing;
  assert.ok(r.killed, 'berthd was killed while the layer was downloading');
  await d.start();
  assertNothingHalfMade(before);
  assertPullsAndRuns();
});

/** Starts a push and calls `interrupt` once Pushing has passed some bytes. */
async function interruptedPush(ref: string, interrupt: () => void): Promise<{ killed: boolean; messages: any[] | Error }> {
  let killed = false;
  const messages = await pushStream(d, ref, (m) => {
    if (!killed && m.status === 'Pushing' && m.progressDetail?.current > 0) {
      killed = true;
      interrupt();
    }
  }).catch((err: Error) => err);
  return { killed, messages };
}

/** What the registry on `p` shows of repository `repo`: its tags and whether it has the layer blob. */
async function registryView(p: number, repo: string, blob: string): Promise<{ tags: number; blob: number }> {
  const tags = await fetch(`http://127.0.0.1:${p}/v2/${repo}/tags/list`);
  const head = await fetch(`http://127.0.0.1:${p}/v2/${repo}/blobs/${blob}`, { method: 'HEAD' });
  return { tags: tags.status, blob: head.status };
}

test('registry and then berthd SIGKILLed mid-push of 200 MiB: nothing of the upload shows, the image stays whole, the next push succeeds', async () => {
  // A second registry, so the layer is uploaded (not mounted from the first one's repository).
  const p2 = await freePort();
  const root2 = join(d.root, 'registry-push');
  let reg2 = await berthRegistry(children, root2, p2);
  const ref = `127.0.0.1:${p2}/pushed/random:v1`;
  assert.equal(d.docker(['tag', name, ref]).code, 0);
  const manifest = (await (await fetch(`http://127.0.0.1:${port}/v2/big/random/manifests/v1`, { headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } })).json()) as { layers: { digest: string }[] };
  const blob = manifest.layers[0]!.digest;

  const r1 = await interruptedPush(ref, () => reg2.kill('SIGKILL'));
  assert.ok(r1.killed, 'the registry was killed while the layer was uploading');
  assert.ok(Array.isArray(r1.messages) && r1.messages[r1.messages.length - 1].error, JSON.stringify(r1.messages));
  reg2 = await berthRegistry(children, root2, p2);
  assert.deepEqual(await registryView(p2, 'pushed/random', blob), { tags: 404, blob: 404 }, 'no tag and no blob after the killed upload');

  let killing: Promise<void> | undefined;
  const r2 = await interruptedPush(ref, () => (killing = d.kill9()));
  await killing;
  assert.ok(r2.killed, 'berthd was killed while the layer was uploading');
  await d.start();
  assert.equal(d.docker(['image', 'inspect', '--format', '{{.Id}}', ref]).stdout.trim(), imageId, 'the local image is whole');
  assert.equal((await registryView(p2, 'pushed/random', blob)).tags, 404, 'no tag after the killed push');

  const push = d.docker(['push', ref], { timeout: 120_000 });
  assert.equal(push.code, 0, push.stderr + push.stdout);
  assert.deepEqual(await registryView(p2, 'pushed/random', blob), { tags: 200, blob: 200 });
  assert.equal(d.docker(['rmi', ref, name]).code, 0);
  const pull = d.docker(['pull', ref], { timeout: 120_000 });
  assert.equal(pull.code, 0, pull.stderr + pull.stdout);
  assert.equal(d.docker(['image', 'inspect', '--format', '{{.Id}}', ref]).stdout.trim(), imageId);
});
