// Which storage driver a daemon uses: `storage-driver` / `--storage-driver` (overlay2 when unset)
// with its `storage-opts`. Drivers the kernel cannot back are refused at start with the reason.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidParameter } from '../../lib/errors.js';
import type { StorageDriver } from './driver.js';
import { Overlay2Driver } from './overlay2.js';
import { VfsDriver } from './vfs.js';
import { BtrfsDriver } from './btrfs.js';
import { parseDaemonStorageOpts } from './storage-opts.js';

export const DEFAULT_DRIVER = 'overlay2';

/** The driver `name` with its home under the data root; init() still has to accept the host. */
export function selectDriver(dataRoot: string, name = DEFAULT_DRIVER, storageOpts: string[] = []): StorageDriver {
  const home = join(dataRoot, name);
  switch (name) {
    case 'overlay2':
      return new Overlay2Driver(home, parseDaemonStorageOpts(name, storageOpts));
    case 'vfs':
      return new VfsDriver(home, parseDaemonStorageOpts(name, storageOpts));
    case 'btrfs':
      return new BtrfsDriver(home, parseDaemonStorageOpts(name, storageOpts));
    case 'devicemapper': {
      const alternative = 'use "storage-driver": "btrfs" for block-level copy-on-write (a btrfs filesystem, or a loop-mounted btrfs file, at the data root), or overlay2';
      if (!hasThinProvisioning()) {
        throw new InvalidParameter(`error initializing graphdriver: devicemapper: this kernel has no device-mapper thin provisioning (dm-thin-pool), so the devicemapper driver cannot run here; ${alternative}`);
      }
      throw new InvalidParameter(`error initializing graphdriver: devicemapper: Berth does not implement the devicemapper driver (Docker removed it in 25.0); ${alternative}`);
    }
    default:
      throw new InvalidParameter(`error initializing graphdriver: driver not supported: ${name}`);
  }
}

/** device-mapper registered as a block major and its thin-pool target built in or loaded. */
function hasThinProvisioning(): boolean {
  const devices = (() => {
    try {
      return readFileSync('/proc/devices', 'utf8');
    } catch {
      return '';
    }
  })();
  return /\sdevice-mapper$/m.test(devices) && existsSync('/sys/module/dm_thin_pool');
}
