// A full copy of a layer tree for the vfs driver: owners, modes (setuid and sticky bits too),
// xattrs, nanosecond times, hard links within the tree, device nodes and fifos. Sockets are
// skipped (they cannot travel in a layer tar either). File data is reflinked where the
// filesystem can, copied otherwise.
import { promises as fs, constants as fsc, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { lgetxattr, llistxattr, lsetxattr, mknod, S_IFBLK, S_IFCHR, S_IFIFO, splitdev, utimensat } from '../../lib/libc.js';

/** Copies the tree at `src` into `dst`, a directory that does not exist yet or is empty. */
export async function copyTree(src: string, dst: string): Promise<void> {
  const firstPathOfInode = new Map<string, string>();
  const dirs: { path: string; st: BigIntStats }[] = [];

  const copyNode = async (from: string, to: string, st: BigIntStats): Promise<void> => {
    if (st.isDirectory()) {
      await fs.mkdir(to, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
        if (!(err.code === 'EEXIST' && to === dst)) throw err;
      });
      for (const name of await fs.readdir(from)) {
        const child = join(from, name);
        await copyNode(child, join(to, name), await fs.lstat(child, { bigint: true }));
      }
      // Directory times last: creating children changes them.
      dirs.push({ path: to, st });
      await attributes(from, to, st, false);
      return;
    }
    if (st.isSocket()) return;
    if (st.nlink > 1n) {
      const key = `${st.dev}:${st.ino}`;
      const first = firstPathOfInode.get(key);
      if (first) {
        await fs.link(first, to);
        return;
      }
      firstPathOfInode.set(key, to);
    }
    if (st.isFile()) {
      await fs.copyFile(from, to, fsc.COPYFILE_FICLONE);
    } else if (st.isSymbolicLink()) {
      await fs.symlink(await fs.readlink(from), to);
    } else if (st.isCharacterDevice() || st.isBlockDevice() || st.isFIFO()) {
      const type = st.isCharacterDevice() ? S_IFCHR : st.isBlockDevice() ? S_IFBLK : S_IFIFO;
      const { major, minor } = splitdev(st.rdev);
      mknod(to, type | 0o600, major, minor);
    } else {
      return;
    }
    await attributes(from, to, st, true);
  };

  await copyNode(src, dst, await fs.lstat(src, { bigint: true }));
  for (const d of dirs.reverse()) utimensat(d.path, d.st.atimeNs, d.st.mtimeNs);
}

async function attributes(from: string, to: string, st: BigIntStats, times: boolean): Promise<void> {
  // Owner before mode: chown clears setuid/setgid bits.
  await fs.lchown(to, Number(st.uid), Number(st.gid));
  const symlink = st.isSymbolicLink();
  if (!symlink) await fs.chmod(to, Number(st.mode) & 0o7777);
  for (const name of llistxattr(from)) {
    const value = lgetxattr(from, name);
    if (value) lsetxattr(to, name, value);
  }
  if (times) utimensat(to, st.atimeNs, st.mtimeNs);
}
