// docker save / docker load through the real docker CLI: the archive's shape, a round trip after
// removing the image, and a container from the loaded image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { busyboxDaemon } from './harness.js';

const d = busyboxDaemon();

test('docker save writes an OCI layout with manifest.json; rmi then load brings busybox back', () => {
  const archive = join(d.root, 'x.tar');
  const idBefore = d.docker(['image', 'inspect', '--format', '{{.Id}}', 'busybox']).stdout.trim();
  const save = d.docker(['save', 'busybox', '-o', archive]);
  assert.equal(save.code, 0, save.stderr);

  const list = spawnSync('tar', ['-tf', archive], { encoding: 'utf8' }).stdout.split('\n');
  for (const f of ['oci-layout', 'index.json', 'manifest.json', 'repositories']) assert.ok(list.includes(f), `${f} in ${list.join(' ')}`);
  assert.ok(list.some((f) => /^blobs\/sha256\/[0-9a-f]{64}$/.test(f)), 'blobs/sha256/… entries');
  const manifest = JSON.parse(spawnSync('tar', ['-xOf', archive, 'manifest.json'], { encoding: 'utf8' }).stdout);
  assert.deepEqual(manifest[0].RepoTags, ['busybox:latest']);

  const rmi = d.docker(['rmi', 'busybox']);
  assert.equal(rmi.code, 0, rmi.stderr);
  assert.notEqual(d.docker(['image', 'inspect', 'busybox']).code, 0);

  const load = d.docker(['load', '-i', archive]);
  assert.equal(load.code, 0, load.stderr);
  assert.match(load.stdout, /Loaded image: busybox:latest/);
  assert.equal(d.docker(['image', 'inspect', '--format', '{{.Id}}', 'busybox']).stdout.trim(), idBefore);
});

test('docker load reports a broken archive as an error', () => {
  const r = d.docker(['load'], { input: 'not a tar archive '.repeat(100) });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /invalid tar header/);
});

test('a container runs from the loaded image', () => {
  const run = d.docker(['run', '--rm', 'busybox', 'echo', 'ok']);
  assert.equal(run.stdout, 'ok\n', `${run.stderr}\n--- daemon log ---\n${d.log.slice(-3000)}`);
  assert.equal(run.code, 0);
});
