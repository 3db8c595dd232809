// btrfs direct mode (storage-opts `btrfs.device=/dev/X`, the analogue of devicemapper's
// direct-lvm): the daemon mounts that block device at its btrfs home and unmounts it at stop. It
// formats only a device that holds no filesystem at all, and only with `btrfs.mkfs=true`. The one
// caller of blkid and mkfs.btrfs.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { promisify } from 'node:util';
import { InvalidParameter, SystemError } from '../../lib/errors.js';
import { mount, umount2, MNT_DETACH } from '../../lib/libc.js';
import { mountContaining } from '../../lib/mountinfo.js';

const run = promisify(execFile);
const refuse = (m: string) => new InvalidParameter(`error initializing graphdriver: btrfs: ${m}`);

/** The filesystem signature on `device` ("" for none), probed from the device itself (no cache). */
async function probeType(device: string): Promise<string> {
  try {
    const { stdout } = await run('/usr/sbin/blkid', ['-p', '-o', 'value', '-s', 'TYPE', device], { timeout: 30_000 });
    return stdout.trim();
  } catch (err) {
    const e = err as { code?: number; stderr?: string; message: string };
    if (e.code === 2) return ''; // blkid: nothing found
    throw new SystemError(`blkid -p ${device}: ${(e.stderr || e.message).trim()}`);
  }
}

async function mkfsBtrfs(device: string): Promise<void> {
  try {
    await run('/usr/sbin/mkfs.btrfs', ['-q', device], { timeout: 120_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new SystemError(`mkfs.btrfs ${device}: ${(e.stderr || e.message).trim()}`);
  }
}

export class BtrfsDevice {
  /** Whether this daemon mounted the device (and so unmounts it at stop). */
  private mounted = false;

  constructor(
    readonly device: string,
    private readonly home: string,
    private readonly mkfs: boolean,
  ) {}

  /** Mounts the device at home (formatting a blank one when asked); refuses anything doubtful. */
  async attach(): Promise<void> {
    const st = await fs.stat(this.device).catch(() => undefined);
    if (!st) throw refuse(`btrfs.device ${this.device} does not exist`);
    if (!st.isBlockDevice()) throw refuse(`btrfs.device ${this.device} is not a block device`);
    await fs.mkdir(this.home, { recursive: true, mode: 0o700 });
    const current = mountContaining(this.home);
    if (current?.mountPoint === this.home) {
      // A daemon that died without unmounting: the same device may be used again, nothing else.
      const same = current.fsType === 'btrfs' && (await sameDevice(current.source, this.device));
      if (!same) throw refuse(`${this.home} already has ${current.source} (${current.fsType}) mounted on it, not btrfs.device ${this.device}`);
      this.mounted = true;
      return;
    }
    if ((await fs.readdir(this.home)).length) throw refuse(`${this.home} is not empty: the device would hide what it holds (move it away, or use another data root)`);
    const type = await probeType(this.device);
    if (type === '') {
      if (!this.mkfs) throw refuse(`btrfs.device ${this.device} holds no filesystem; add the storage-opt btrfs.mkfs=true to format it as btrfs`);
      await mkfsBtrfs(this.device);
    } else if (type !== 'btrfs') {
      throw refuse(`btrfs.device ${this.device} holds a ${type} filesystem; Berth formats only a device without one (erase it first, e.g. wipefs -a ${this.device})`);
    }
    try {
      mount(this.device, this.home, 'btrfs', 0, null);
    } catch (err) {
      throw new SystemError(`mount ${this.device} (btrfs) at ${this.home}: ${(err as Error).message}`);
    }
    this.mounted = true;
  }

  /** Unmounts at daemon stop. Containers that live on (live restore) keep the filesystem busy, so detach. */
  detach(): void {
    if (!this.mounted) return;
    this.mounted = false;
    try {
      umount2(this.home, MNT_DETACH);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EINVAL' && code !== 'ENOENT') throw new SystemError(`unmount ${this.home}: ${(err as Error).message}`);
    }
  }
}

/** Whether two paths name the same block device (mountinfo may show /dev/loop0 for a symlink given). */
async function sameDevice(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([fs.stat(a).catch(() => undefined), fs.stat(b).catch(() => undefined)]);
  return !!sa && !!sb && sa.rdev === sb.rdev;
}
