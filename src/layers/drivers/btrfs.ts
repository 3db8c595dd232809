// The btrfs driver: each layer is a subvolume (btrfs/subvolumes/<id>) and each child a writable
// snapshot of its parent, so copies are block-level copy-on-write. The data root must be on btrfs
// (a loop-mounted file or a real device), or the daemon mounts `btrfs.device` there itself (direct
// mode, btrfs-device.ts); size quotas are qgroup limits on a container's subvolume.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { InvalidParameter } from '../../lib/errors.js';
import type { CreateOptions, StorageDriver } from './driver.js';
import { FullTreeDriver } from './full-tree-driver.js';
import { backingFs } from './backing-fs.js';
import { parseContainerStorageOpt, type DaemonStorageOpts } from './storage-opts.js';
import { BtrfsDevice } from './btrfs-device.js';
import * as btrfs from './btrfs-progs.js';

export class BtrfsDriver extends FullTreeDriver implements StorageDriver {
  readonly name = 'btrfs';
  private quotaEnabled = false;
  private buildVersion = '';
  private direct?: BtrfsDevice;

  constructor(
    home: string,
    private readonly defaults: DaemonStorageOpts = {},
  ) {
    super(home, 'subvolumes');
    if (defaults.mkfs && !defaults.device) throw new InvalidParameter('error initializing graphdriver: btrfs: btrfs.mkfs=true needs btrfs.device (the block device to format)');
    if (defaults.device) this.direct = new BtrfsDevice(defaults.device, home, defaults.mkfs ?? false);
  }

  async init(): Promise<void> {
    await fs.mkdir(this.home, { recursive: true, mode: 0o700 });
    await this.direct?.attach();
    const backing = await backingFs(this.home);
    if (backing !== 'btrfs') {
      throw new InvalidParameter(
        `error initializing graphdriver: prerequisites for driver not satisfied (wrong filesystem?): ${this.home} is on ${backing}, and the btrfs driver needs it on btrfs (mount a btrfs filesystem, or a loop-mounted btrfs file, at the data root)`,
      );
    }
    await fs.mkdir(join(this.home, 'subvolumes'), { recursive: true, mode: 0o700 });
    this.buildVersion = await btrfs.version();
  }

  async close(): Promise<void> {
    this.direct?.detach();
  }

  validateStorageOpt(opts: Record<string, string>): void {
    parseContainerStorageOpt(opts);
  }

  async create(id: string, parent?: string, opts: CreateOptions = {}): Promise<void> {
    const d = this.dir(id);
    if (parent) await btrfs.subvolumeSnapshot(this.dir(parent), d);
    else await btrfs.subvolumeCreate(d);
    const size = opts.storageOpt ? (parseContainerStorageOpt(opts.storageOpt).size ?? this.defaults.size) : undefined;
    if (size === undefined) return;
    try {
      if (!this.quotaEnabled) {
        // Idempotent: enabling quotas on a filesystem that has them is a no-op.
        await btrfs.quotaEnable(this.home);
        this.quotaEnabled = true;
      }
      await btrfs.qgroupLimit(d, size);
    } catch (err) {
      await this.remove(id).catch(() => undefined);
      throw err;
    }
  }

  applyDir(id: string): string {
    return this.dir(id);
  }

  async mount(id: string): Promise<string> {
    return this.dir(id);
  }

  async unmount(): Promise<void> {}

  async remove(id: string): Promise<void> {
    const d = this.dir(id);
    const st = await fs.lstat(d).catch(() => undefined);
    if (!st) return;
    // A subvolume root has inode 256; anything else is a plain directory left by a crash.
    if (st.ino !== 256) {
      await fs.rm(d, { recursive: true, force: true });
      return;
    }
    const qgroup = await btrfs.subvolumeId(d).catch(() => undefined);
    await btrfs.subvolumeDelete(d);
    // A limit would outlive the subvolume as a stale qgroup (quotas may predate this daemon).
    if (qgroup !== undefined) await btrfs.qgroupDestroy(`0/${qgroup}`, this.home).catch(() => undefined);
  }

  status(): [string, string][] {
    return [['Build Version', this.buildVersion], ...(this.direct ? ([['Device', this.direct.device]] as [string, string][]) : [])];
  }

  async metadata(): Promise<null> {
    return null;
  }
}
