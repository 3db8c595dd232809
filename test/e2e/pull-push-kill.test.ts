// Interrupted 200 MiB pulls: the registry (its own process) or berthd itself is SIGKILLed while
// the layer streams in. Afterwards no layer half-exists (no image, no layer record, no new driver
// directory, no kept blob or its temp file) and the next pull succeeds and runs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { promises as fs, readdirSync, mkdirSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { TestDaemon, busyboxTar, freePort } from './harness.js';
import { berthRegistry, kill, pullStream } from './registry-helpers.js';

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
