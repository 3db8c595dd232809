import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { applyLayer } from '../../../src/layers/archive/apply.js';
import { diffOverlay, packTree } from '../../../src/layers/archive/diff.js';
import { DigestStream } from '../../../src/layers/archive/digest.js';
import { readTar } from '../../../src/layers/archive/tar-reader.js';
import { lsetxattr, mknod, S_IFCHR, S_IFIFO, utimensat } from '../../../src/lib/libc.js';
import { collect, sha256, snapshot, t, tarOf, withTempDir } from './fixtures.js';

const CAP = Buffer.from('0100000200200000000000000000000000000000', 'hex');

/** A tree with every entry type, binary xattrs, setuid, a hardlink pair and nanosecond times. */
async function makeTree(src: string): Promise<void> {
  await fs.mkdir(join(src, 'bin'));
  await fs.mkdir(join(src, 'dev'));
  await fs.mkdir(join(src, 'tmp'), { mode: 0o777 });
  await fs.chmod(join(src, 'tmp'), 0o1777);
  await fs.writeFile(join(src, 'bin', 'ping'), 'ELF-ish');
  await fs.chmod(join(src, 'bin', 'ping'), 0o4755);
  lsetxattr(join(src, 'bin', 'ping'), 'security.capability', CAP);
  lsetxattr(join(src, 'bin', 'ping'), 'user.note', Buffer.from([0, 0xff, 0x10]));
  await fs.writeFile(join(src, 'bin', 'busybox'), 'multi-call');
  await fs.chmod(join(src, 'bin', 'busybox'), 0o755);
  await fs.link(join(src, 'bin', 'busybox'), join(src, 'bin', 'sh'));
  await fs.symlink('busybox', join(src, 'bin', 'ls'));
  await fs.symlink('/etc/alternatives/awk', join(src, 'bin', 'awk'));
  mknod(join(src, 'dev', 'null'), S_IFCHR | 0o666, 1, 3);
  mknod(join(src, 'fifo'), S_IFIFO | 0o640);
  await fs.writeFile(join(src, 'owned'), 'x');
  await fs.lchown(join(src, 'owned'), 1234, 5678);
  await fs.lchown(join(src, 'bin', 'ls'), 42, 43);
  await fs.writeFile(join(src, 'big'), Buffer.alloc(300_000, 7));
  let ns = 1_650_000_000_000_000_001n;
  // Children first, so directory times are not disturbed after being set.
  for (const p of ['bin/ping', 'bin/busybox', 'bin/ls', 'bin/awk', 'dev/null', 'fifo', 'owned', 'big', 'bin', 'dev', 'tmp']) {
    utimensat(join(src, p), ns, ns + 7n, true);
    ns += 123_456_789n;
  }
}

test('a tree with every entry type survives diff then apply exactly', async () => {
  await withTempDir(async (dir) => {
    const src = join(dir, 'src');
    const dst = join(dir, 'dst');
    await fs.mkdir(src);
    await makeTree(src);
    const tar = await collect(diffOverlay(src));
    const { diffId, size } = await applyLayer(Readable.from([tar]), dst);
    assert.equal(diffId, sha256(tar));
    assert.equal(size, 'ELF-ish'.length + 'multi-call'.length + 1 + 300_000);
    const want = await snapshot(src);
    const got = await snapshot(dst);
    assert.deepEqual(got, want);
    assert.deepEqual(got.inodes, [['bin/busybox', 'bin/sh']]);
    assert.equal(got.nodes['bin/ping']!.xattrs['security.capability'], CAP.toString('hex'));
    assert.equal(got.nodes['bin/ping']!.mode, 0o4755);
    assert.equal(got.nodes['tmp']!.mode, 0o1777);
  });
});

test('the same tree always gives the same diffID', async () => {
  await withTempDir(async (dir) => {
    await fs.mkdir(join(dir, 'a'));
    await makeTree(join(dir, 'a'));
    const first = sha256(await collect(diffOverlay(join(dir, 'a'))));
    const second = sha256(await collect(diffOverlay(join(dir, 'a'))));
    assert.equal(first, second);
    const applied = await applyLayer(Readable.from([await collect(diffOverlay(join(dir, 'a')))]), join(dir, 'b'));
    assert.equal(sha256(await collect(diffOverlay(join(dir, 'b')))), first);
    assert.equal(applied.diffId, first);
  });
});

test('GNU tar extracts our diff with the same content', async () => {
  await withTempDir(async (dir) => {
    await fs.mkdir(join(dir, 'src'));
    await makeTree(join(dir, 'src'));
    await fs.mkdir(join(dir, 'out'));
    const tar = await collect(diffOverlay(join(dir, 'src')));
    const r = spawnSync('tar', ['--xattrs', '--xattrs-include=*', '-C', join(dir, 'out'), '-xpf', '-'], { input: tar });
    assert.equal(r.status, 0, r.stderr.toString());
    const got = await snapshot(join(dir, 'out'));
    assert.equal(got.nodes['bin/ping']!.xattrs['security.capability'], CAP.toString('hex'));
    assert.deepEqual(got.inodes, [['bin/busybox', 'bin/sh']]);
    assert.equal(got.nodes['owned']!.uid, 1234);
  });
});

test('a hardlink header sets the mode of the shared inode', async () => {
  await withTempDir(async (dir) => {
    const tar = await tarOf([t.dir('bin'), t.file('bin/busybox', 'x', 0o644), t.link('bin/busybox', 'bin/sh', 0o755)]);
    await applyLayer(Readable.from([tar]), dir);
    assert.equal((await fs.stat(join(dir, 'bin', 'busybox'))).mode & 0o7777, 0o755);
  });
});

test('gzip, bzip2 and xz layers are decompressed; the diffID is the hash of the uncompressed tar', async () => {
  await withTempDir(async (dir) => {
    const tar = await tarOf([t.dir('etc'), t.file('etc/hostname', 'box\n'), t.file('etc/big', Buffer.alloc(200_000, 'a'))]);
    const gz = await applyLayer(Readable.from([gzipSync(tar)]), join(dir, 'gz'));
    assert.equal(gz.diffId, sha256(tar));
    assert.equal(await fs.readFile(join(dir, 'gz', 'etc', 'hostname'), 'utf8'), 'box\n');
    const bz = spawnSync('bzip2', ['-c'], { input: tar });
    assert.equal(bz.status, 0);
    const b = await applyLayer(Readable.from([bz.stdout]), join(dir, 'bz'));
    assert.equal(b.diffId, sha256(tar));
    assert.equal((await fs.readFile(join(dir, 'bz', 'etc', 'big'))).length, 200_000);
    const xz = spawnSync('xz', ['-c'], { input: tar });
    assert.equal(xz.status, 0);
    assert.equal((await applyLayer(Readable.from([xz.stdout]), join(dir, 'xz'))).diffId, sha256(tar));
    const badXz = Buffer.concat([xz.stdout.subarray(0, 6), Buffer.alloc(100, 1)]);
    await assert.rejects(applyLayer(Readable.from([badXz]), join(dir, 'badxz')), /xz failed to decompress the layer/);
  });
});

test('trailing padding after the end of the archive is part of the diffID', async () => {
  await withTempDir(async (dir) => {
    const tar = Buffer.concat([await tarOf([t.file('a', 'x')]), Buffer.alloc(8192)]);
    const r = await applyLayer(Readable.from([tar]), dir);
    assert.equal(r.diffId, sha256(tar));
  });
});

test('an expected diffID that does not match fails the apply', async () => {
  await withTempDir(async (dir) => {
    const tar = await tarOf([t.file('a', 'x')]);
    const wrong = 'sha256:' + '0'.repeat(64);
    await assert.rejects(applyLayer(Readable.from([tar]), dir, { expectedDiffId: wrong }), new RegExp(`digest mismatch: expected ${wrong} got ${sha256(tar)}`));
    const d = new DigestStream(sha256(tar));
    await collect(Readable.from([tar]).pipe(d));
    assert.equal(d.digest, sha256(tar));
  });
});

test('a truncated or corrupt layer is refused and nothing lands outside the directory', async () => {
  await withTempDir(async (dir) => {
    const tar = await tarOf([t.dir('etc'), t.file('etc/passwd', 'x'.repeat(5000)), t.file('after', 'y')]);
    const layer = join(dir, 'layer');
    await assert.rejects(applyLayer(Readable.from([tar.subarray(0, 2048)]), layer), /unexpected end of tar stream in the data of "etc\/passwd"/);
    const corrupt = Buffer.from(tar);
    corrupt[512 + 10] ^= 0xff; // inside the second header's name
    await assert.rejects(applyLayer(Readable.from([corrupt]), join(dir, 'layer2')), /checksum mismatch/);
    assert.deepEqual((await fs.readdir(dir)).sort(), ['layer', 'layer2']);
    const gz = gzipSync(await tarOf([t.file('random', randomBytes(20_000))]));
    await assert.rejects(applyLayer(Readable.from([gz.subarray(0, gz.length >> 1)]), join(dir, 'layer3')), /unexpected end of file|unexpected end of tar/);
  });
});

test('packTree archives one path under a new name, symlinks kept as links', async () => {
  await withTempDir(async (dir) => {
    const root = join(dir, 'root');
    await fs.mkdir(join(root, 'etc', 'conf.d'), { recursive: true });
    await fs.writeFile(join(root, 'etc', 'conf.d', 'a.conf'), 'a');
    await fs.symlink('/etc', join(root, 'link'));
    const entries = [];
    for await (const e of readTar(packTree(root, { includeRoot: 'link/conf.d', rebaseName: 'copied' }))) {
      entries.push([e.header.type, e.header.name, (await collect(e.body)).toString()]);
    }
    assert.deepEqual(entries, [
      ['dir', 'copied/', ''],
      ['file', 'copied/a.conf', 'a'],
    ]);
    const whole = [];
    for await (const e of readTar(packTree(root))) whole.push([e.header.type, e.header.name, e.header.linkname]);
    assert.deepEqual(whole, [
      ['dir', 'etc/', ''],
      ['dir', 'etc/conf.d/', ''],
      ['file', 'etc/conf.d/a.conf', ''],
      ['symlink', 'link', '/etc'],
    ]);
    await assert.rejects(collect(packTree(root, { includeRoot: 'etc/missing' })), { name: 'NotFound', message: 'no such file or directory: etc/missing' });
  });
});
