// Storage drivers through the real docker CLI: one core suite of container and image behaviour on
// vfs, on btrfs in a loop-mounted file and on overlay2 over a loop-mounted xfs with project
// quotas; `--storage-opt size` enforced where the driver can and refused where it cannot; the
// devicemapper refusal. Loop devices, mounts and image files are removed in `after`.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync, rmSync, existsSync, chmodSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon, busyboxTar } from './harness.js';
import { nextFreeRange, parseSubIds } from '../../src/userns/subid.js';

/**
 * Docker's default pools run out on a machine where many daemons keep bridges; these daemons take
 * /24s from a range of their own (each still skips subnets already routed).
 */
const POOLS = { 'default-address-pools': [{ base: '10.201.0.0/16', size: 24 }] };

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.error}`);
  return r.stdout.trim();
}

/** A filesystem in a sparse file, loop-mounted at `at`; `remove()` undoes all of it. */
class LoopFs {
  private file = '';
  private dev = '';
  /** xfs only: whether the kernel took the pquota option (it needs CONFIG_XFS_QUOTA). */
  projectQuotas = false;
  /** xfs only: why pquota was refused, in the kernel's words where it logged them. */
  pquotaRefusal = '';
  constructor(
    private readonly kind: 'btrfs' | 'xfs',
    private readonly at: string,
  ) {}

  make(): void {
    const dir = mkdtempSync(`/tmp/berth-loop-${this.kind}-`);
    this.file = join(dir, 'fs.img');
    sh('truncate', ['-s', '512M', this.file]);
    sh(this.kind === 'btrfs' ? 'mkfs.btrfs' : 'mkfs.xfs', ['-q', this.file]);
    this.dev = sh('losetup', ['--find', '--show', this.file]);
    mkdirSync(this.at, { recursive: true });
    if (this.kind === 'xfs') {
      const m = spawnSync('mount', ['-o', 'pquota', this.dev, this.at], { encoding: 'utf8' });
      this.projectQuotas = m.status === 0;
      if (this.projectQuotas) return;
      const kernel = spawnSync('dmesg', [], { encoding: 'utf8' }).stdout?.split('\n').filter((l) => /XFS.*quota/i.test(l)).pop();
      this.pquotaRefusal = (kernel ?? m.stderr).replace(/^\[[^\]]*\]\s*/, '').trim();
    }
    sh('mount', [this.dev, this.at]);
  }

  remove(): void {
    spawnSync('umount', ['-l', this.at]);
    if (this.dev) spawnSync('losetup', ['-d', this.dev]);
    if (this.file) rmSync(join(this.file, '..'), { recursive: true, force: true });
  }
}

/** Entries of the driver's layer directory: what create, rm and rmi add and take away. */
function driverEntries(d: TestDaemon, driver: string): string[] {
  const dir = { vfs: 'vfs/dir', btrfs: 'btrfs/subvolumes', overlay2: 'overlay2' }[driver]!;
  return readdirSync(join(d.dataRoot, dir)).filter((n) => n !== 'l').sort();
}

function ok(d: TestDaemon, args: string[]): string {
  const r = d.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}\n--- daemon log ---\n${d.log.slice(-2000)}`);
  return r.stdout;
}

/** The same behaviour on every driver. */
function coreSuite(d: TestDaemon, driver: string): void {
  test(`${driver}: info names the driver; images are kept under image/${driver}`, () => {
    assert.equal(ok(d, ['info', '--format', '{{.Driver}}']).trim(), driver);
    assert.ok(existsSync(join(d.dataRoot, 'image', driver, 'imagedb')), `image/${driver}/imagedb`);
    assert.ok(existsSync(join(d.dataRoot, 'image', driver, 'layerdb')), `image/${driver}/layerdb`);
  });

  test(`${driver}: run, exec, diff, cp, export, commit, save, rm and rmi`, () => {
    const baseline = driverEntries(d, driver);
    const name = `c-${driver}`;
    ok(d, ['run', '--name', name, 'busybox', 'sh', '-c', 'echo hello > /data.txt && mkdir /d && echo x > /d/f && rm /bin/vi']);

    const diff = ok(d, ['diff', name]).split('\n');
    for (const line of ['A /data.txt', 'A /d', 'A /d/f', 'D /bin/vi', 'C /bin']) assert.ok(diff.includes(line), `${line} in:\n${diff.join('\n')}`);
    assert.ok(!diff.some((l) => l.includes('/etc/hostname') || l.includes('.dockerenv')), `init layer files stay out of diff:\n${diff.join('\n')}`);

    const host = join(d.root, `cp-${driver}`);
    mkdirSync(host);
    ok(d, ['cp', `${name}:/data.txt`, join(host, 'data.txt')]);
    assert.equal(readFileSync(join(host, 'data.txt'), 'utf8'), 'hello\n');
    writeFileSync(join(host, 'in.txt'), 'copied in\n');
    ok(d, ['cp', join(host, 'in.txt'), `${name}:/in.txt`]);

    const exported = join(host, 'export.tar');
    ok(d, ['export', '-o', exported, name]);
    const files = sh('tar', ['-tf', exported]).split('\n');
    for (const f of ['data.txt', 'in.txt', 'd/f', 'bin/busybox']) assert.ok(files.includes(f) || files.includes(`./${f}`), `${f} exported`);
    assert.ok(!files.includes('bin/vi') && !files.includes('./bin/vi'), 'a deleted file is not exported');

    ok(d, ['commit', name, `committed-${driver}`]);
    assert.equal(ok(d, ['run', '--rm', `committed-${driver}`, 'cat', '/data.txt', '/in.txt', '/d/f']), 'hello\ncopied in\nx\n');
    assert.notEqual(d.docker(['run', '--rm', `committed-${driver}`, 'ls', '/bin/vi']).code, 0, 'the deletion is committed');

    const c2 = `e-${driver}`;
    ok(d, ['run', '-d', '--name', c2, 'busybox', 'sleep', '300']);
    ok(d, ['exec', c2, 'sh', '-c', 'echo from-exec > /tmp/e.txt']);
    assert.equal(ok(d, ['exec', c2, 'cat', '/tmp/e.txt']), 'from-exec\n');
    ok(d, ['rm', '-f', c2]);

    // The saved layers are byte for byte what was imported and committed: each blob hashes to
    // the diffID the image declares.
    const saved = join(host, 'save.tar');
    ok(d, ['save', '-o', saved, `committed-${driver}`]);
    const out = join(host, 'save');
    mkdirSync(out);
    sh('tar', ['-xf', saved, '-C', out]);
    const layers = JSON.parse(ok(d, ['image', 'inspect', '--format', '{{json .RootFS.Layers}}', `committed-${driver}`])) as string[];
    assert.equal(layers.length, 2);
    for (const l of layers) {
      const blob = join(out, 'blobs', 'sha256', l.replace('sha256:', ''));
      assert.ok(existsSync(blob), `layer ${l} saved`);
      assert.equal('sha256:' + createHash('sha256').update(readFileSync(blob)).digest('hex'), l);
    }

    ok(d, ['rm', name]);
    ok(d, ['rmi', `committed-${driver}`]);
    assert.deepEqual(driverEntries(d, driver), baseline, 'rm and rmi remove the layers they made');
  });
}

/** `unavailable()`: why quotas cannot work here ('' when they can). */
function quotaSuite(d: TestDaemon, driver: string, unavailable: () => string = () => ''): void {
  test(`${driver}: --storage-opt size=10M stops writes at the limit`, (t) => {
    if (unavailable()) return t.skip(unavailable());
    const small = d.docker(['run', '--rm', '--storage-opt', 'size=10M', 'busybox', 'sh', '-c', 'dd if=/dev/zero of=/small bs=1M count=4 && echo wrote']);
    assert.equal(small.code, 0, small.stderr);
    assert.match(small.stdout, /wrote/);
    const big = d.docker(['run', '--rm', '--storage-opt', 'size=10M', 'busybox', 'sh', '-c', 'dd if=/dev/zero of=/big bs=1M count=30']);
    assert.notEqual(big.code, 0, 'writing 30M into a 10M quota fails');
    assert.match(big.stderr + big.stdout, /Disk quota exceeded|No space left on device/);
    // Without a quota the same write succeeds.
    ok(d, ['run', '--rm', 'busybox', 'dd', 'if=/dev/zero', 'of=/big', 'bs=1M', 'count=30']);
  });
}

function startWithBusybox(d: TestDaemon): Promise<void> {
  return d.start().then(() => {
    ok(d, ['import', busyboxTar(d.root), 'busybox']);
  });
}

describe('vfs', () => {
  const d = new TestDaemon({ daemonJson: { ...POOLS, 'storage-driver': 'vfs' } });
  before(() => startWithBusybox(d));
  after(() => d.stop());
  coreSuite(d, 'vfs');

  test('vfs on extfs: --storage-opt size is refused at create and nothing is left behind', () => {
    const before = driverEntries(d, 'vfs');
    const r = d.docker(['create', '--storage-opt', 'size=10M', 'busybox', 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Filesystem does not support, or has not enabled quotas/);
    assert.deepEqual(driverEntries(d, 'vfs'), before);
    assert.equal(ok(d, ['ps', '-aq']), '');
  });

  test('switching drivers on one data root keeps each driver\'s images apart', async () => {
    const id = ok(d, ['image', 'inspect', '--format', '{{.Id}}', 'busybox']).trim();
    await d.terminate();
    writeFileSync(d.configFile, JSON.stringify(POOLS));
    await d.start();
    assert.equal(ok(d, ['info', '--format', '{{.Driver}}']).trim(), 'overlay2');
    assert.equal(ok(d, ['images', '-q']), '', 'overlay2 sees none of the vfs images');
    await d.terminate();
    writeFileSync(d.configFile, JSON.stringify({ ...POOLS, 'storage-driver': 'vfs' }));
    await d.start();
    assert.equal(ok(d, ['image', 'inspect', '--format', '{{.Id}}', 'busybox']).trim(), id);
  });

  test('containers belong to their driver: hidden from another one, running again when it comes back', async () => {
    const useDriver = async (driver: string) => {
      await d.terminate(); // live restore: running containers keep running
      writeFileSync(d.configFile, JSON.stringify(driver === 'overlay2' ? POOLS : { ...POOLS, 'storage-driver': driver }));
      await d.start();
      assert.equal(ok(d, ['info', '--format', '{{.Driver}}']).trim(), driver);
    };
    const names = () => ok(d, ['ps', '-a', '--format', '{{.Names}} {{.State}}']).trim().split('\n').filter(Boolean).sort();
    ok(d, ['run', '-d', '--name', 'runs-on-vfs', 'busybox', 'sleep', '300']);
    ok(d, ['create', '--name', 'made-on-vfs', 'busybox', 'true']);
    const pid = ok(d, ['inspect', '--format', '{{.State.Pid}}', 'runs-on-vfs']).trim();

    await useDriver('overlay2');
    assert.deepEqual(names(), [], 'overlay2 lists none of the vfs containers');
    for (const c of ['runs-on-vfs', 'made-on-vfs']) {
      const r = d.docker(['start', c]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, new RegExp(`No such container: ${c}`));
    }
    ok(d, ['import', busyboxTar(d.root), 'busybox']);
    ok(d, ['run', '-d', '--name', 'runs-on-overlay2', 'busybox', 'sleep', '300']);
    // The name of a hidden container is free here, as with dockerd.
    ok(d, ['create', '--name', 'made-on-vfs', 'busybox', 'true']);
    ok(d, ['rm', 'made-on-vfs']);
    assert.deepEqual(names(), ['runs-on-overlay2 running']);

    await useDriver('vfs');
    assert.deepEqual(names(), ['made-on-vfs created', 'runs-on-vfs running']);
    assert.equal(ok(d, ['inspect', '--format', '{{.State.Pid}}', 'runs-on-vfs']).trim(), pid, 'the same process kept running');
    assert.equal(ok(d, ['exec', 'runs-on-vfs', 'echo', 'still here']), 'still here\n');
    ok(d, ['start', '-a', 'made-on-vfs']);
    ok(d, ['rm', '-f', 'runs-on-vfs', 'made-on-vfs']);

    await useDriver('overlay2');
    assert.deepEqual(names(), ['runs-on-overlay2 running'], 'overlay2\'s container ran on while vfs was in use');
    ok(d, ['rm', '-f', 'runs-on-overlay2']);
    await useDriver('vfs');
  });
});

describe('vfs with userns-remap', () => {
  const user = `bsd${process.pid}`;
  const d = new TestDaemon({ daemonJson: { ...POOLS, 'storage-driver': 'vfs', 'userns-remap': user } });
  let start = 0;
  const dropRanges = () => {
    for (const f of ['/etc/subuid', '/etc/subgid']) {
      writeFileSync(f, readFileSync(f, 'utf8').split('\n').filter((l) => !l.startsWith(`${user}:`)).join('\n'));
    }
  };
  before(async () => {
    start = Math.max(...['/etc/subuid', '/etc/subgid'].map((f) => nextFreeRange(parseSubIds(readFileSync(f, 'utf8')))));
    sh('useradd', ['-r', '-s', '/bin/false', user]);
    sh('usermod', ['-v', `${start}-${start + 65535}`, '-w', `${start}-${start + 65535}`, user]);
    chmodSync(d.root, 0o711); // the remapped root walks to its rootfs from here
    await startWithBusybox(d);
  });
  after(async () => {
    try {
      await d.stop();
    } finally {
      spawnSync('userdel', [user]);
      dropRanges();
    }
  });

  test('vfs + userns-remap: root inside owns the image and its own files, which are the subordinate ids outside', () => {
    const r = ok(d, ['run', '--name', 'remapped', 'busybox', 'sh', '-c', 'id -u; cat /proc/self/uid_map; stat -c %u:%g /bin/busybox /etc/hosts /; echo hi > /made']);
    const [uid, map, ...owners] = r.trim().split('\n');
    assert.equal(uid, '0');
    assert.deepEqual(map!.trim().split(/\s+/).map(Number), [0, start, 65536]);
    assert.deepEqual(owners, ['0:0', '0:0', '0:0'], 'the image, the init layer\'s files and / belong to root inside');
    // On the host the container's layer is a full copy in the remapped store, owned by the subordinate root.
    const id = ok(d, ['inspect', '--format', '{{.Id}}', 'remapped']).trim();
    const store = join(d.dataRoot, `${start}.${start}`);
    const mountId = readFileSync(join(store, 'image/vfs/layerdb/mounts', id, 'mount-id'), 'utf8').trim();
    for (const f of ['made', 'bin/busybox', 'etc/hosts', '.']) {
      const st = statSync(join(store, 'vfs/dir', mountId, f));
      assert.deepEqual([st.uid, st.gid], [start, start], `${f} on the host`);
    }
    const diff = ok(d, ['diff', 'remapped']).trim().split('\n');
    assert.deepEqual(diff, ['A /made'], 'the init layer stays out of diff');
    assert.equal(ok(d, ['start', '-a', 'remapped']).trim().split('\n')[0], '0', 'it starts again');
    ok(d, ['rm', 'remapped']);
  });
});

describe('btrfs in a loop-mounted file', () => {
  const d = new TestDaemon({ daemonJson: { ...POOLS, 'storage-driver': 'btrfs' } });
  const loop = new LoopFs('btrfs', d.dataRoot);
  before(async () => {
    loop.make();
    await startWithBusybox(d);
  });
  after(async () => {
    await d.stop();
    loop.remove();
  });
  coreSuite(d, 'btrfs');
  quotaSuite(d, 'btrfs');

  test('btrfs: layers are subvolumes', () => {
    const list = sh('btrfs', ['subvolume', 'list', d.dataRoot]);
    for (const id of driverEntries(d, 'btrfs')) assert.match(list, new RegExp(`btrfs/subvolumes/${id}$`, 'm'));
  });
});

describe('btrfs direct mode on a block device', () => {
  let dir = '';
  let dev = '';
  const withOpts = (d: TestDaemon, opts: string[]) => writeFileSync(d.configFile, JSON.stringify({ ...POOLS, 'storage-driver': 'btrfs', 'storage-opts': opts }));
  const mounted = (path: string) => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === path);
  const fsType = () => spawnSync('blkid', ['-p', '-o', 'value', '-s', 'TYPE', dev], { encoding: 'utf8' }).stdout.trim();
  before(() => {
    dir = mkdtempSync('/tmp/berth-btrfs-dev-');
    sh('truncate', ['-s', '512M', join(dir, 'disk.img')]);
    dev = sh('losetup', ['--find', '--show', join(dir, 'disk.img')]);
  });
  after(() => {
    if (dev) spawnSync('losetup', ['-d', dev]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('a device with another filesystem, or none without btrfs.mkfs=true, is refused and left as it was', async () => {
    sh('mkfs.ext4', ['-q', dev]);
    const d = new TestDaemon();
    try {
      withOpts(d, [`btrfs.device=${dev}`, 'btrfs.mkfs=true']);
      await assert.rejects(d.start(), new RegExp(`btrfs.device ${dev} holds a ext4 filesystem; Berth formats only a device without one`));
      assert.equal(fsType(), 'ext4', 'an ext4 device is never reformatted');
      sh('wipefs', ['-a', '-q', dev]);
      withOpts(d, [`btrfs.device=${dev}`]);
      await assert.rejects(d.start(), /holds no filesystem; add the storage-opt btrfs.mkfs=true to format it as btrfs/);
      assert.equal(fsType(), '', 'nothing is formatted without btrfs.mkfs=true');
      assert.equal(mounted(join(d.dataRoot, 'btrfs')), undefined);
    } finally {
      await d.stop();
    }
  });

  test('btrfs.device with btrfs.mkfs=true: formatted, mounted at <data-root>/btrfs while the daemon runs, kept across restarts', async () => {
    const d = new TestDaemon();
    const home = join(d.dataRoot, 'btrfs');
    try {
      withOpts(d, [`btrfs.device=${dev}`, 'btrfs.mkfs=true']);
      await startWithBusybox(d);
      assert.equal(fsType(), 'btrfs');
      assert.match(mounted(home) ?? '', / - btrfs /, `${home} is a btrfs mount`);
      assert.match(ok(d, ['info', '--format', '{{json .DriverStatus}}']), new RegExp(`\\["Device","${dev}"\\]`));
      assert.equal(ok(d, ['run', '--rm', 'busybox', 'sh', '-c', 'echo on-device > /f && cat /f']), 'on-device\n');
      const list = sh('btrfs', ['subvolume', 'list', home]);
      for (const id of driverEntries(d, 'btrfs')) assert.match(list, new RegExp(`subvolumes/${id}$`, 'm'));

      await d.terminate();
      assert.equal(mounted(home), undefined, 'unmounted at stop');
      assert.ok(!existsSync(join(home, 'subvolumes')), 'the layers live on the device, not in the data root');

      withOpts(d, [`btrfs.device=${dev}`]); // a btrfs device needs no mkfs (and gets none)
      await d.start();
      assert.match(mounted(home) ?? '', / - btrfs /);
      assert.equal(ok(d, ['run', '--rm', 'busybox', 'echo', 'again']), 'again\n', 'the image is still on the device');
    } finally {
      await d.stop();
    }
  });
});

describe('overlay2 over a loop-mounted xfs with pquota', () => {
  const d = new TestDaemon({ daemonJson: POOLS });
  const loop = new LoopFs('xfs', d.dataRoot);
  before(async () => {
    loop.make();
    await startWithBusybox(d);
  });
  after(async () => {
    await d.stop();
    loop.remove();
  });
  coreSuite(d, 'overlay2');
  quotaSuite(d, 'overlay2', () => (loop.projectQuotas ? '' : `mount -o pquota refused on this kernel: ${loop.pquotaRefusal || 'no reason logged'}`));

  test('overlay2 reports its backing filesystem', () => {
    assert.match(ok(d, ['info', '--format', '{{json .DriverStatus}}']), /\["Backing Filesystem","xfs"\]/);
  });

  test('overlay2 on xfs without pquota: --storage-opt size is refused with Docker\'s message', (t) => {
    if (loop.projectQuotas) return t.skip('this xfs has project quotas');
    const r = d.docker(['run', '--rm', '--storage-opt', 'size=10M', 'busybox', 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--storage-opt is supported only for overlay over xfs with 'pquota' mount option/);
  });
});

describe('drivers the daemon refuses', () => {
  test('btrfs on a data root that is not btrfs', async () => {
    const d = new TestDaemon({ daemonJson: { ...POOLS, 'storage-driver': 'btrfs' } });
    try {
      await assert.rejects(d.start(), /prerequisites for driver not satisfied \(wrong filesystem\?\).*is on extfs/);
    } finally {
      await d.stop();
    }
  });

  test('devicemapper: no thin provisioning in this kernel, btrfs named instead', async () => {
    const d = new TestDaemon({ daemonJson: { ...POOLS, 'storage-driver': 'devicemapper' } });
    try {
      await assert.rejects(d.start(), /devicemapper: this kernel has no device-mapper thin provisioning.*storage-driver.*btrfs/);
    } finally {
      await d.stop();
    }
  });

  test('an unknown driver, as dockerd words it', async () => {
    const d = new TestDaemon({ daemonJson: POOLS });
    try {
      await assert.rejects(d.start(['--storage-driver', 'nosuchfs']), /driver not supported: nosuchfs/);
    } finally {
      await d.stop();
    }
  });

  test('overlay2 on extfs: --storage-opt size is refused with Docker\'s message', async () => {
    const d = new TestDaemon({ daemonJson: POOLS });
    try {
      await startWithBusybox(d);
      const r = d.docker(['run', '--rm', '--storage-opt', 'size=10M', 'busybox', 'true']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /--storage-opt is supported only for overlay over xfs with 'pquota' mount option/);
    } finally {
      await d.stop();
    }
  });
});
