// Read-only layers no image or container uses are removed when berthd starts. The state a daemon
// killed between registering a layer and writing its image leaves is made exactly: whole layers
// (layerdb record, tar-split, driver directory) whose image config was never written.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { TestDaemon, busyboxTar } from './harness.js';
import { chainIdOf } from '../../src/layers/store.js';

// A range of its own: Docker's default pools run out where many daemons keep bridges.
const d = new TestDaemon({ daemonJson: { 'default-address-pools': [{ base: '10.202.0.0/16', size: 24 }] } });

function ok(args: string[]): string {
  const r = d.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}\n--- daemon log ---\n${d.log.slice(-2000)}`);
  return r.stdout;
}

const image = (ref: string) => JSON.parse(ok(['image', 'inspect', '--format', '{{json .}}', ref])) as { Id: string; RootFS: { Layers: string[] } };
const topChain = (ref: string) => chainIdOf(image(ref).RootFS.Layers)!;
const hex = (id: string) => id.replace(/^sha256:/, '');
const layerDir = (chain: string) => join(d.dataRoot, 'image/overlay2/layerdb/sha256', hex(chain));
const driverDir = (chain: string) => join(d.dataRoot, 'overlay2', readFileSync(join(layerDir(chain), 'cache-id'), 'utf8').trim());

/** Commits a container that ran `script` on `from` as `tag`. */
function commitOf(from: string, tag: string, script: string): void {
  const name = `mk-${tag}`;
  ok(['run', '--name', name, from, 'sh', '-c', script]);
  ok(['commit', name, tag]);
  ok(['rm', name]);
}

/** What a daemon killed before writing the image config leaves: the layers, and no image. */
function forgetImage(id: string): void {
  rmSync(join(d.dataRoot, 'image/overlay2/imagedb/content/sha256', hex(id)));
  rmSync(join(d.dataRoot, 'image/overlay2/imagedb/metadata/sha256', hex(id)), { recursive: true, force: true });
}

before(async () => {
  await d.start();
  ok(['import', busyboxTar(d.root), 'busybox']);
});

after(() => d.stop());

test('layers no image or container uses are removed at start; layers of images and containers stay', async () => {
  commitOf('busybox', 'kept', 'echo kept > /f'); // busybox + one layer, still an image
  commitOf('kept', 'lost-child', 'echo lost > /g'); // one more layer on "kept"; its image is lost
  commitOf('busybox', 'held', 'echo held > /h'); // its image is lost, a container still uses its layers
  ok(['create', '--name', 'holder', 'held', 'cat', '/h']);
  // A lost base layer of its own (an interrupted pull or load of a one-layer image).
  const tree = join(d.root, 'lone');
  mkdirSync(tree);
  writeFileSync(join(tree, 'lone.txt'), 'lone\n');
  assert.equal(spawnSync('tar', ['-C', tree, '-cf', join(d.root, 'lone.tar'), '.']).status, 0);
  ok(['import', join(d.root, 'lone.tar'), 'lone']);

  const busybox = topChain('busybox');
  const kept = topChain('kept');
  const held = topChain('held');
  const lostChild = topChain('lost-child');
  const lone = topChain('lone');
  const lostDirs = [driverDir(lostChild), driverDir(lone)];
  for (const p of lostDirs) assert.ok(existsSync(p), p);
  const lostImages = ['lost-child', 'held', 'lone'].map((r) => image(r).Id);

  await d.terminate();
  for (const id of lostImages) forgetImage(id);
  await d.start();

  for (const c of [lostChild, lone]) {
    assert.ok(!existsSync(layerDir(c)), `layerdb entry of ${c} removed`);
    assert.match(d.log, new RegExp(`Removed layer ${c}: no image or container uses it`));
  }
  for (const p of lostDirs) assert.ok(!existsSync(p), `driver directory ${p} removed`);
  for (const c of [busybox, kept, held]) {
    assert.ok(existsSync(layerDir(c)), `layer ${c} of an image or a container kept`);
    assert.ok(existsSync(driverDir(c)), `driver directory of ${c} kept`);
  }
  assert.doesNotMatch(d.log, new RegExp(`Removed layer (${busybox}|${kept}|${held})`));

  // What stayed still works: the image runs, the container whose image is gone starts.
  assert.equal(ok(['run', '--rm', 'kept', 'cat', '/f']), 'kept\n');
  assert.equal(ok(['start', '-a', 'holder']), 'held\n');
  assert.deepEqual(ok(['images', '--format', '{{.Repository}}']).trim().split('\n').sort(), ['busybox', 'kept']);

  // A second start finds nothing more to remove.
  const logBefore = d.log.length;
  await d.terminate();
  await d.start();
  assert.doesNotMatch(d.log.slice(logBefore), /Removed layer/);
});
