// The filesystem under a driver's home, named as Docker's `docker info` names it ("Backing
// Filesystem: extfs"), from statfs(2)'s magic number. Drivers use it to refuse homes they cannot
// work on (btrfs) and to decide what quotas are possible (xfs).
import { promises as fs } from 'node:fs';

const MAGIC: Record<number, string> = {
  0xef53: 'extfs',
  0x58465342: 'xfs',
  0x9123683e: 'btrfs',
  0x01021994: 'tmpfs',
  0x794c7630: 'overlayfs',
  0x2fc12fc1: 'zfs',
  0x6969: 'nfs',
  0x5346544e: 'ntfs',
  0x65735546: 'fuse',
  0x73717368: 'squashfs',
};

export async function backingFs(path: string): Promise<string> {
  const st = await fs.statfs(path);
  return MAGIC[Number(st.type)] ?? `<unknown> (0x${Number(st.type).toString(16)})`;
}
