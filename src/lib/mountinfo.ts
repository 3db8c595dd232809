// What is mounted where, from /proc/self/mountinfo (paths unescaped: the kernel writes a space
// as \040).
import { readFileSync } from 'node:fs';

export function mountPoints(): Set<string> {
  const out = new Set<string>();
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const field = line.split(' ')[4];
    if (field) out.add(field.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))));
  }
  return out;
}

export function isMountpoint(path: string): boolean {
  return mountPoints().has(path);
}

export interface MountEntry {
  mountPoint: string;
  fsType: string;
  source: string;
  /** Per-superblock options, e.g. "rw,attr2,inode64,prjquota" for an xfs with project quotas. */
  superOptions: string[];
}

/** The mount that holds `path` (the longest mount point that is a prefix of it). */
export function mountContaining(path: string): MountEntry | undefined {
  let best: MountEntry | undefined;
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const mountPoint = unescape(left.split(' ')[4] ?? '');
    if (!(path === mountPoint || path.startsWith(mountPoint === '/' ? '/' : mountPoint + '/'))) continue;
    if (best && best.mountPoint.length > mountPoint.length) continue;
    const [fsType = '', source = '', opts = ''] = right.split(' ');
    best = { mountPoint, fsType, source: unescape(source), superOptions: opts.split(',') };
  }
  return best;
}
