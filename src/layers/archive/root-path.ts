// Keeps archive paths inside a layer directory: names are cleaned and refused when they climb out
// with "..", and symlinks met on the way are followed as if the layer directory were "/" (the way
// containerd's fs.RootPath and a chroot would), so a symlink to /etc leads to <layer>/etc.
import { promises as fs } from 'node:fs';
import { join, posix } from 'node:path';

export class PathEscape extends Error {}

/**
 * Cleans an archive name into a relative path ('' for the root itself). Leading slashes are
 * dropped (archives are rooted at the layer, as GNU tar treats them); names whose cleaned form
 * climbs above the root are refused.
 */
export function cleanArchiveName(name: string): string {
  const cleaned = posix.normalize('/' + name).replace(/^\/+/, '');
  const raw = posix.normalize(name.replace(/^\/+/, '') || '.');
  if (raw === '..' || raw.startsWith('../')) {
    throw new PathEscape(`path ${JSON.stringify(name)} climbs out of the layer with ".."`);
  }
  return cleaned.replace(/\/+$/, '');
}

const MAX_SYMLINKS = 255;

/**
 * The host path of `rel` inside `root`, following symlinks within root. The last component is
 * followed only when `followLast` is set; components that do not exist are kept as they are.
 */
export async function resolveInRoot(root: string, rel: string, followLast: boolean): Promise<string> {
  let resolved: string[] = [];
  let pending = rel.split('/').filter((c) => c !== '' && c !== '.');
  let links = 0;
  while (pending.length > 0) {
    const comp = pending.shift()!;
    if (comp === '..') {
      resolved.pop();
      continue;
    }
    if (pending.length === 0 && !followLast) {
      resolved.push(comp);
      break;
    }
    const candidate = join(root, ...resolved, comp);
    let isLink = false;
    try {
      isLink = (await fs.lstat(candidate)).isSymbolicLink();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
    }
    if (!isLink) {
      resolved.push(comp);
      continue;
    }
    if (++links > MAX_SYMLINKS) throw new PathEscape(`too many levels of symbolic links in ${JSON.stringify(rel)}`);
    const target = await fs.readlink(candidate);
    if (target.startsWith('/')) resolved = [];
    pending = [...target.split('/').filter((c) => c !== '' && c !== '.'), ...pending];
  }
  return join(root, ...resolved);
}
