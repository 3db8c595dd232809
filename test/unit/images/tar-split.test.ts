import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { applyLayer } from '../../../src/layers/archive/apply.js';
import { TarSplitRecorder, layerTarStream, tarSplitSize } from '../../../src/layers/tar-split.js';
import { LayerStore } from '../../../src/layers/store.js';
import { collect, sha256, t, tarOf, withTempDir } from '../layers/fixtures.js';

/** Applies `tar` with a recorder, then replays it: the bytes must come back unchanged. */
async function roundTrip(tar: Buffer, input: Buffer = tar): Promise<void> {
  await withTempDir(async (dir) => {
    const layer = join(dir, 'diff');
    const rec = new TarSplitRecorder(join(dir, 'tar-split.json.gz'));
    const { diffId } = await applyLayer(Readable.from([input]), layer, { tarSplit: rec });
    const size = await rec.finish();
    assert.equal(diffId, sha256(tar));
    assert.equal(size, tar.length);
    assert.equal(await tarSplitSize(rec.path), tar.length);
    const replayed = await collect(layerTarStream(layer, rec.path));
    assert.equal(replayed.length, tar.length);
    assert.ok(replayed.equals(tar), 'replayed tar differs from the original');
    // The record holds headers, not file data.
    const stored = (await fs.stat(rec.path)).size;
    assert.ok(stored < Math.max(4096, tar.length / 4), `tar-split is ${stored} bytes for a ${tar.length}-byte tar`);
  });
}

/** A tree with long names, a hardlink, a symlink, an empty file and a big file. */
async function makeTree(src: string): Promise<void> {
  const deep = join(src, 'a'.repeat(60), 'b'.repeat(60));
  await fs.mkdir(deep, { recursive: true });
  await fs.writeFile(join(deep, 'c'.repeat(90) + '.txt'), 'long name\n');
  await fs.writeFile(join(src, 'big'), randomBytes(1_500_000));
  await fs.writeFile(join(src, 'empty'), '');
  await fs.writeFile(join(src, 'odd'), Buffer.alloc(513, 1));
  await fs.link(join(src, 'big'), join(src, 'big-link'));
  await fs.symlink('x'.repeat(150), join(src, 'long-symlink'));
  await fs.symlink('big', join(src, 'short-symlink'));
}

function gnuTar(src: string, extra: string[] = []): Buffer {
  const r = spawnSync('tar', ['-c', '-C', src, ...extra, '.'], { maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr?.toString());
  return r.stdout;
}

test('GNU tar (tar -c) with long names, hardlinks and its 10 KiB record padding replays byte for byte', async () => {
  await withTempDir(async (dir) => {
    const src = join(dir, 'src');
    await fs.mkdir(src);
    await makeTree(src);
    const tar = gnuTar(src);
    assert.equal(tar.length % 10240, 0, 'GNU tar pads to its record size');
    await roundTrip(tar);
  });
});

test('PAX tar with xattrs and sub-second times replays byte for byte', async () => {
  await withTempDir(async (dir) => {
    const src = join(dir, 'src');
    await fs.mkdir(src);
    await makeTree(src);
    spawnSync('setfattr', ['-n', 'user.note', '-v', '0sAP8Q', join(src, 'big')]);
    const tar = gnuTar(src, ['--format=pax', '--xattrs', '--xattrs-include=*']);
    assert.ok(tar.includes(Buffer.from('PaxHeaders')), 'the archive has PAX headers');
    await roundTrip(tar);
  });
});

test('whiteouts, opaque markers, a whiteout with data and trailing bytes after the end replay byte for byte', async () => {
  const tar = await tarOf([
    t.dir('etc/'),
    t.file('etc/.wh.passwd', ''),
    t.dir('var/'),
    t.file('var/.wh..wh..opq', ''),
    t.file('var/kept', 'kept'),
    t.file('.wh.gone', 'data a whiteout should not carry'),
    t.file('ünïcode-' + 'n'.repeat(120), 'pax path'),
    t.link('var/kept', 'var/kept-link'),
  ]);
  await roundTrip(Buffer.concat([tar, Buffer.alloc(512 * 7)]));
  await roundTrip(Buffer.concat([tar, Buffer.from('trailing garbage that readers ignore')]));
});

test('a compressed layer replays as its uncompressed tar', async () => {
  const tar = await tarOf([t.dir('d/'), t.file('d/f', 'hello')]);
  await roundTrip(tar, gzipSync(tar));
});

test('replay fails clearly when the extracted file changed', async () => {
  await withTempDir(async (dir) => {
    const tar = await tarOf([t.file('f', 'hello world')]);
    const rec = new TarSplitRecorder(join(dir, 'ts.json.gz'));
    await applyLayer(Readable.from([tar]), join(dir, 'diff'), { tarSplit: rec });
    await rec.finish();
    await fs.writeFile(join(dir, 'diff', 'f'), 'short');
    await assert.rejects(collect(layerTarStream(join(dir, 'diff'), rec.path)), /layer file "f" has 5 bytes, its tar entry 11/);
  });
});

test('LayerStore.layerTar gives back the registered tar, and survives a restart', async () => {
  await withTempDir(async (dir) => {
    const src = join(dir, 'src');
    await fs.mkdir(src);
    await makeTree(src);
    const tar = gnuTar(src);
    const store = new LayerStore(join(dir, 'root'));
    await store.init();
    const base = await store.register(Readable.from([gzipSync(tar)]));
    const top = await store.register(Readable.from([await tarOf([t.file('.wh.big', ''), t.file('new', 'n')])]), base.chainId);
    const again = new LayerStore(join(dir, 'root'));
    await again.init();
    assert.equal(await again.layerTarSize(base.chainId), tar.length);
    const out = await collect(again.layerTar(base.chainId));
    assert.ok(out.equals(tar));
    assert.equal(sha256(await collect(again.layerTar(top.chainId))), top.diffId);
    await assert.rejects(store.register(Readable.from([tar]), undefined, { expectedDiffId: 'sha256:' + '0'.repeat(64) }), /digest mismatch/);
  });
});

test('a layer without tar-split is exported only when its files re-pack to its diffID', async () => {
  await withTempDir(async (dir) => {
    const store = new LayerStore(join(dir, 'root'));
    await store.init();
    const made = await store.register(Readable.from([await tarOf([t.file('f', 'x', 0o644, { mtimeNs: 1_600_000_000_000_000_000n })])]));
    const ts = join(dir, 'root', 'image', 'overlay2', 'layerdb', 'sha256', made.chainId.slice(7), 'tar-split.json.gz');
    await fs.rm(ts);
    // Berth's own writer made this tar, so re-packing happens to match.
    assert.equal(sha256(await collect(store.layerTar(made.chainId))), made.diffId);
    const gnu = await withTempDir(async (d2) => {
      await fs.writeFile(join(d2, 'f'), 'y');
      return gnuTar(d2);
    });
    const other = await store.register(Readable.from([gnu]));
    await fs.rm(join(dir, 'root', 'image', 'overlay2', 'layerdb', 'sha256', other.chainId.slice(7), 'tar-split.json.gz'));
    await assert.rejects(collect(store.layerTar(other.chainId)), /has no tar-split and its files no longer pack to diffID/);
  });
});
