// Docker's copy-up: the first time an empty volume is mounted where the image has files, those
// files are copied into the volume with their ownership, modes, timestamps, xattrs and hard links,
// and the volume's root takes the image directory's owner and mode.
import { promises as fs, constants as fsConstants } from 'node:fs';
import { join } from 'node:path';
import { lgetxattr, llistxattr, lsetxattr, mknod, splitdev, utimensat, S_IFBLK, S_IFCHR, S_IFIFO } from '../lib/libc.js';
import { resolveInRoot } from '../layers/archive/root-path.js';

/**
 * Copies `<rootfs>/<destination>` into `volumeDir` when the volume is empty and the image has a
 * directory there. Returns whether anything was copied.
 */
export async function copyUp(rootfs: string, destination: string, volumeDir: string): Promise<boolean> {
  // Resolved as a chroot would: a symlink in the image must not lead out to the host.
  const src = await resolveInRoot(rootfs, destination, true);
  const st = await fs.lstat(src).catch(() => undefined);
  if (!st?.isDirectory()) return false;
  if ((await fs.readdir(volumeDir)).length > 0) return false;
  const entries = await fs.readdir(src);
  if (entries.length > 0) {
    const links = new Map<string, string>();
    for (const name of entries) await copyEntry(join(src, name), join(volumeDir, name), links);
  }
  await fs.lchown(volumeDir, st.uid, st.gid);
  await fs.chmod(volumeDir, st.mode & 0o7777);
  return entries.length > 0;
}

async function copyEntry(src: string, dst: string, links: Map<string, string>): Promise<void> {
  const st = await fs.lstat(src, { bigint: true });
  const key = `${st.dev}:${st.ino}`;
  if (!st.isDirectory() && st.nlink > 1n) {
    const first = links.get(key);
    if (first) {
      await fs.link(first, dst);
      return;
    }
    links.set(key, dst);
  }
  if (st.isDirectory()) {
    await fs.mkdir(dst);
    for (const name of await fs.readdir(src)) await copyEntry(join(src, name), join(dst, name), links);
  } else if (st.isFile()) {
    await fs.copyFile(src, dst, fsConstants.COPYFILE_FICLONE);
  } else if (st.isSymbolicLink()) {
    await fs.symlink(await fs.readlink(src), dst);
  } else if (st.isCharacterDevice() || st.isBlockDevice() || st.isFIFO()) {
    const kind = st.isCharacterDevice() ? S_IFCHR : st.isBlockDevice() ? S_IFBLK : S_IFIFO;
    const { major, minor } = splitdev(st.rdev);
    mknod(dst, kind | Number(st.mode & 0o7777n), major, minor);
  } else {
    return; // sockets are not copied
  }
  for (const name of llistxattr(src)) {
    const value = lgetxattr(src, name);
    try {
      if (value) lsetxattr(dst, name, value);
    } catch (err) {
      // The kernel allows only some namespaces of xattrs on symlinks, as on the image's side.
      if (!st.isSymbolicLink()) throw err;
    }
  }
  await fs.lchown(dst, Number(st.uid), Number(st.gid));
  // chown clears setuid bits, so the mode goes after it.
  if (!st.isSymbolicLink()) await fs.chmod(dst, Number(st.mode & 0o7777n));
  utimensat(dst, st.atimeNs, st.mtimeNs);
}
