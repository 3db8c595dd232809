import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { applyLayer } from '../../../src/layers/archive/apply.js';
import { changes, diffOverlay } from '../../../src/layers/archive/diff.js';
import { readTar } from '../../../src/layers/archive/tar-reader.js';
import { lgetxattr, mount, umount2, MNT_DETACH } from '../../../src/lib/libc.js';
import { collect, snapshot, t, tarOf, withTempDir } from './fixtures.js';

const lower = () =>
  tarOf([
    t.dir('etc'),
    t.file('etc/passwd', 'root:x:0:0'),
    t.file('etc/group', 'root:x:0:'),
    t.file('keep', 'v1'),
    t.dir('var'),
    t.dir('var/cache'),
    t.file('var/cache/a', 'a'),
    t.dir('var/cache/sub'),
    t.file('var/cache/sub/b', 'b'),
  ]);

const upper = () =>
  tarOf([
    t.dir('etc'),
    t.file('etc/.wh.passwd', ''),
    t.file('keep', 'v2'),
    t.dir('var'),
    t.dir('var/cache'),
    t.file('var/cache/.wh..wh..opq', ''),
    t.file('var/cache/new', 'n'),
  ]);

async function listTree(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(rel: string): Promise<void> {
    for (const name of (await fs.readdir(join(root, rel))).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      out.push(r);
      if ((await fs.lstat(join(root, r))).isDirectory()) await walk(r);
    }
  }
  await walk('');
  return out;
}

const MERGED_VIEW = ['etc', 'etc/group', 'keep', 'var', 'var/cache', 'var/cache/new'];

test('overlay mode writes 0/0 devices and opaque xattrs that a real overlayfs honours', async () => {
  await withTempDir(async (dir) => {
    const [L, U, merged] = ['lower', 'upper', 'merged'].map((n) => join(dir, n)) as [string, string, string];
    await applyLayer(Readable.from([await lower()]), L, { whiteouts: 'overlay' });
    await applyLayer(Readable.from([await upper()]), U, { whiteouts: 'overlay' });
    const wh = await fs.lstat(join(U, 'etc', 'passwd'));
    assert.ok(wh.isCharacterDevice());
    assert.equal(wh.rdev, 0);
    assert.equal(lgetxattr(join(U, 'var', 'cache'), 'trusted.overlay.opaque')?.toString(), 'y');
    await assert.rejects(fs.lstat(join(U, 'var', 'cache', '.wh..wh..opq')), { code: 'ENOENT' });

    await fs.mkdir(merged);
    mount('overlay', merged, 'overlay', 0, `lowerdir=${U}:${L}`);
    try {
      assert.deepEqual(await listTree(merged), MERGED_VIEW);
      assert.equal(await fs.readFile(join(merged, 'keep'), 'utf8'), 'v2');
    } finally {
      umount2(merged, MNT_DETACH);
    }
  });
});

test('naive mode deletes whited-out files and empties opaque directories', async () => {
  await withTempDir(async (dir) => {
    await applyLayer(Readable.from([await lower()]), dir, { whiteouts: 'naive' });
    await applyLayer(Readable.from([await upper()]), dir, { whiteouts: 'naive' });
    assert.deepEqual(await listTree(dir), MERGED_VIEW);
  });
});

test('naive mode keeps what the layer itself put in a directory before its opaque marker', async () => {
  await withTempDir(async (dir) => {
    await applyLayer(Readable.from([await lower()]), dir, { whiteouts: 'naive' });
    const tar = await tarOf([t.dir('var/cache'), t.file('var/cache/new', 'n'), t.dir('var/cache/sub'), t.file('var/cache/sub/c', 'c'), t.file('var/cache/.wh..wh..opq', '')]);
    await applyLayer(Readable.from([tar]), dir, { whiteouts: 'naive' });
    assert.deepEqual((await listTree(dir)).filter((p) => p.startsWith('var/cache/')), ['var/cache/new', 'var/cache/sub', 'var/cache/sub/c']);
  });
});

test('diffOverlay turns overlay markers back into OCI whiteouts, and the layer re-applies identically', async () => {
  await withTempDir(async (dir) => {
    const U = join(dir, 'upper');
    await applyLayer(Readable.from([await upper()]), U);
    const tar = await collect(diffOverlay(U));
    const names: string[] = [];
    for await (const e of readTar(Readable.from([tar]))) names.push(e.header.name);
    assert.deepEqual(names, ['etc/', 'etc/.wh.passwd', 'keep', 'var/', 'var/cache/', 'var/cache/.wh..wh..opq', 'var/cache/new']);
    const again = await applyLayer(Readable.from([tar]), join(dir, 'again'));
    assert.deepEqual(await snapshot(join(dir, 'again')), await snapshot(U));
    assert.equal(again.diffId, (await applyLayer(diffOverlay(join(dir, 'again')), join(dir, 'third'))).diffId);
  });
});

test('changes lists deletions, additions and modifications as docker diff does', async () => {
  await withTempDir(async (dir) => {
    const [L, U] = [join(dir, 'lower'), join(dir, 'upper')];
    await applyLayer(Readable.from([await lower()]), L);
    await applyLayer(Readable.from([await upper()]), U);
    assert.deepEqual(await changes(U, [L]), [
      { Path: '/etc', Kind: 0 },
      { Path: '/etc/passwd', Kind: 2 },
      { Path: '/keep', Kind: 0 },
      { Path: '/var', Kind: 0 },
      { Path: '/var/cache', Kind: 2 },
      { Path: '/var/cache/new', Kind: 1 },
    ]);
  });
});
