// Files a remapped container sees that were not made by the tar apply path: the init layer, the
// writable layer's root, the container's hostname/hosts/resolv.conf and new volumes. They get the
// host ids of the container's ids once, so root inside owns what root would own without remapping.
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import type { IdMapping } from './id-mapping.js';

/**
 * Gives every entry under `dir` (and `dir`) the host ids its current ids map to. chown clears
 * setuid/setgid bits, so the mode is put back; symlinks are changed themselves, never followed.
 */
export async function shiftTree(dir: string, mapping: IdMapping): Promise<number> {
  let count = 0;
  const visit = async (path: string): Promise<void> => {
    const st = await fs.lstat(path);
    const [uid, gid] = mapping.toHost(st.uid, st.gid);
    await fs.lchown(path, uid, gid);
    if (!st.isSymbolicLink() && (st.mode & 0o6000) !== 0) await fs.chmod(path, st.mode & 0o7777);
    count++;
    // Siblings in parallel: every remapped `docker run` shifts its init layer on the way.
    if (st.isDirectory()) await Promise.all((await fs.readdir(path)).map((name) => visit(join(path, name))));
  };
  await visit(dir);
  return count;
}

/** Hands files (or directories) the container's root owns to the remapped root. */
export async function chownToRoot(paths: string[], mapping: IdMapping): Promise<void> {
  const { uid, gid } = mapping.root;
  await Promise.all(paths.map((p) => fs.lchown(p, uid, gid)));
}

/**
 * A remapped container's layers: the init layer's files shifted, the writable layer's root owned
 * by the remapped root, and the driver directory holding it (overlay2/<id>, where merged/ is
 * mounted) traversable by the remapped root's group, as dockerd's overlay2 lays it out.
 */
export async function remapContainerLayers(initDiff: string, rwDiff: string, mapping: IdMapping): Promise<void> {
  await shiftTree(initDiff, mapping);
  await chownToRoot([rwDiff], mapping);
  await fs.chown(dirname(rwDiff), 0, mapping.root.gid);
}

/**
 * A container's own files the runtime bind-mounts (hostname, hosts, resolv.conf): owned by the
 * remapped root, in a directory (root:<gid>, 0710) the remapped root can reach them through.
 */
export async function remapContainerFiles(files: string[], mapping: IdMapping): Promise<void> {
  await chownToRoot(files, mapping);
  await Promise.all([...new Set(files.map((f) => dirname(f)))].map((d) => fs.chown(d, 0, mapping.root.gid)));
}
