// Storage drivers without a daemon: vfs's full copy, the naive diff of two full trees (what vfs
// and btrfs commit and `docker diff` from), a vfs-backed layer store round trip, storage-opt
// parsing and the drivers the daemon refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { copyTree } from '../../../src/layers/drivers/tree-copy.js';
import { naiveChanges, naiveDiff, naiveDiffSize } from '../../../src/layers/archive/naive-diff.js';
import { applyLayer } from '../../../src/layers/archive/apply.js';
import { LayerStore } from '../../../src/layers/store.js';
import { selectDriver } from '../../../src/layers/drivers/select.js';
import { parseContainerStorageOpt, parseDaemonStorageOpts, parseSize } from '../../../src/layers/drivers/storage-opts.js';
import { lsetxattr, mknod, S_IFCHR, S_IFIFO, utimensat } from '../../../src/lib/libc.js';
import { collect, sha256, snapshot, t, tarOf, withTempDir } from './fixtures.js';

const S_IFSOCK = 0o140000;

async function makeTree(root: string): Promise<void> {
  await fs.mkdir(join(root, 'bin'), { recursive: true });
  await fs.mkdir(join(root, 'etc'));
  await fs.mkdir(join(root, 'tmp'));
  await fs.chmod(join(root, 'tmp'), 0o1777);
  await fs.writeFile(join(root, 'bin', 'busybox'), 'multi-call');
  await fs.chmod(join(root, 'bin', 'busybox'), 0o4755);
  lsetxattr(join(root, 'bin', 'busybox'), 'user.note', Buffer.from([0, 0xff, 1]));
  await fs.link(join(root, 'bin', 'busybox'), join(root, 'bin', 'sh'));
  await fs.symlink('busybox', join(root, 'bin', 'ls'));
  await fs.lchown(join(root, 'bin', 'ls'), 42, 43);
  await fs.writeFile(join(root, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
  await fs.lchown(join(root, 'etc', 'passwd'), 1000, 1001);
  mknod(join(root, 'null'), S_IFCHR | 0o666, 1, 3);
  mknod(join(root, 'fifo'), S_IFIFO | 0o640);
  let ns = 1_650_000_000_000_000_001n;
  for (const p of ['bin/busybox', 'bin/ls', 'etc/passwd', 'null', 'fifo', 'bin', 'etc', 'tmp']) {
    utimensat(join(root, p), ns, ns + 5n, true);
    ns += 987_654_321n;
  }
}

test('vfs copy keeps owners, modes, xattrs, hard links, devices, fifos and times; sockets are skipped', async () => {
  await withTempDir(async (dir) => {
    const src = join(dir, 'src');
    await fs.mkdir(src);
    await makeTree(src);
    const want = await snapshot(src);
    mknod(join(src, 'sock'), S_IFSOCK | 0o600);
    await copyTree(src, join(dir, 'dst'));
    const got = await snapshot(join(dir, 'dst'));
    assert.deepEqual(got, want);
    assert.deepEqual(got.inodes, [['bin/busybox', 'bin/sh']]);
    assert.equal(existsSync(join(dir, 'dst', 'sock')), false);
  });
});

/** A parent tree and a child copied from it, then changed the way a container would. */
async function parentAndChild(dir: string): Promise<{ parent: string; child: string }> {
  const parent = join(dir, 'parent');
  const child = join(dir, 'child');
  await fs.mkdir(parent);
  await makeTree(parent);
  await copyTree(parent, child);
  await fs.writeFile(join(child, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/ash\n');
  await fs.writeFile(join(child, 'etc', 'new.conf'), 'added');
  await fs.rm(join(child, 'bin', 'ls'));
  await fs.mkdir(join(child, 'data', 'deep'), { recursive: true });
  await fs.writeFile(join(child, 'data', 'deep', 'f'), '12345');
  await fs.rm(join(child, 'fifo'));
  return { parent, child };
}

test('naive changes list what a container added, changed and deleted, as docker diff does', async () => {
  await withTempDir(async (dir) => {
    const { parent, child } = await parentAndChild(dir);
    const changes = await naiveChanges(child, parent);
    assert.deepEqual(changes, [
      { Path: '/bin', Kind: 0 },
      { Path: '/bin/ls', Kind: 2 },
      { Path: '/data', Kind: 1 },
      { Path: '/data/deep', Kind: 1 },
      { Path: '/data/deep/f', Kind: 1 },
      { Path: '/etc', Kind: 0 },
      { Path: '/etc/new.conf', Kind: 1 },
      { Path: '/etc/passwd', Kind: 0 },
      { Path: '/fifo', Kind: 2 },
    ]);
    assert.deepEqual(await naiveChanges(parent, parent), []);
    // new.conf + passwd + f: the bytes a container layer adds.
    assert.equal(await naiveDiffSize(child, parent), 'added'.length + 'root:x:0:0::/root:/bin/ash\n'.length + 5);
  });
});

test('a naive diff applied to a copy of the parent gives the child back', async () => {
  await withTempDir(async (dir) => {
    const { parent, child } = await parentAndChild(dir);
    const tar = await collect(naiveDiff(child, parent));
    const target = join(dir, 'target');
    await copyTree(parent, target);
    await applyLayer(Readable.from([tar]), target, { whiteouts: 'naive' });
    assert.deepEqual((await snapshot(target)).nodes, (await snapshot(child)).nodes);
    // Deterministic: the same trees give the same diffID.
    assert.equal(sha256(await collect(naiveDiff(child, parent))), sha256(tar));
  });
});

test('a vfs layer store applies layers as full copies and gives their tars back byte for byte', async () => {
  await withTempDir(async (dir) => {
    const store = new LayerStore(dir, 'vfs');
    await store.init();
    const baseTar = await tarOf([t.dir('etc/'), t.file('etc/os-release', 'base\n'), t.file('etc/motd', 'hi\n'), t.dir('bin/'), t.file('bin/tool', '#!', 0o755)]);
    const base = await store.register(Readable.from([baseTar]));
    const topTar = await tarOf([t.dir('etc/'), t.file('etc/.wh.motd', ''), t.file('etc/app.conf', 'x=1\n')]);
    const top = await store.register(Readable.from([topTar]), base.chainId);
    assert.equal(base.diffId, sha256(baseTar));
    assert.equal(sha256(await collect(store.layerTar(top.chainId))), sha256(topTar));
    assert.equal(sha256(await collect(store.layerTar(base.chainId))), sha256(baseTar));

    await store.createRW('c1', top.chainId);
    const root = await store.mountRW('c1');
    assert.equal(await fs.readFile(join(root, 'etc', 'os-release'), 'utf8'), 'base\n');
    assert.equal(existsSync(join(root, 'etc', 'motd')), false, 'the whiteout of the upper layer applies');
    assert.ok(existsSync(join(root, '.dockerenv')), 'the init layer is below the container layer');
    await fs.writeFile(join(root, 'etc', 'app.conf'), 'x=2\n');
    await fs.rm(join(root, 'bin', 'tool'));
    assert.deepEqual(await store.changesRW('c1'), [
      { Path: '/bin', Kind: 0 },
      { Path: '/bin/tool', Kind: 2 },
      // Rewriting a file leaves its directory's times alone, so only the file is listed.
      { Path: '/etc/app.conf', Kind: 0 },
    ]);
    const committed = await store.register(store.diffRW('c1'), top.chainId);
    await store.createRW('c2', committed.chainId);
    const root2 = await store.mountRW('c2');
    assert.equal(await fs.readFile(join(root2, 'etc', 'app.conf'), 'utf8'), 'x=2\n');
    assert.equal(existsSync(join(root2, 'bin', 'tool')), false);

    await store.removeRW('c1');
    await store.removeRW('c2');
    await store.release(committed.chainId, () => false);
    assert.deepEqual(await fs.readdir(join(dir, 'vfs', 'dir')), [], 'every layer directory is gone');
    assert.equal(store.all().length, 0);
  });
});

test('storage-opt sizes use Docker\'s binary units; unknown options and bad sizes are refused', () => {
  assert.equal(parseSize('10M'), 10 * 1024 * 1024);
  assert.equal(parseSize('10m'), 10 * 1024 * 1024);
  assert.equal(parseSize('1.5GiB'), 1.5 * 1024 ** 3);
  assert.equal(parseSize('4096'), 4096);
  assert.throws(() => parseSize('ten'), /invalid size: 'ten'/);
  assert.deepEqual(parseContainerStorageOpt({ Size: '20k' }), { size: 20 * 1024 });
  assert.throws(() => parseContainerStorageOpt({ inodes: '10' }), /Unknown option inodes/);
  assert.deepEqual(parseDaemonStorageOpts('overlay2', ['overlay2.size=1G']), { size: 1024 ** 3 });
  assert.throws(() => parseDaemonStorageOpts('overlay2', ['btrfs.min_space=1G']), /overlay2: unknown option btrfs.min_space/);
});

test('btrfs direct mode options: a device path and an explicit mkfs, for btrfs only', () => {
  assert.deepEqual(parseDaemonStorageOpts('btrfs', ['btrfs.device=/dev/sdb', 'btrfs.mkfs=true']), { device: '/dev/sdb', mkfs: true });
  assert.deepEqual(parseDaemonStorageOpts('btrfs', ['btrfs.device=/dev/sdb']), { device: '/dev/sdb' });
  assert.throws(() => parseDaemonStorageOpts('btrfs', ['btrfs.device=sdb']), /btrfs.device: "sdb" is not an absolute path/);
  assert.throws(() => parseDaemonStorageOpts('btrfs', ['btrfs.mkfs=yes']), /btrfs.mkfs: "yes" is not true or false/);
  assert.throws(() => parseDaemonStorageOpts('overlay2', ['btrfs.device=/dev/sdb']), /overlay2: unknown option btrfs.device/);
  assert.throws(() => selectDriver('/x', 'btrfs', ['btrfs.mkfs=true']), /btrfs.mkfs=true needs btrfs.device/);
});

test('devicemapper is refused naming btrfs; unknown drivers as dockerd words it', () => {
  assert.throws(() => selectDriver('/nonexistent', 'devicemapper'), /devicemapper: .*btrfs/);
  assert.throws(() => selectDriver('/nonexistent', 'zfs2'), /error initializing graphdriver: driver not supported: zfs2/);
  assert.equal(selectDriver('/x', 'vfs').home, '/x/vfs');
  assert.equal(selectDriver('/x').name, 'overlay2');
});
