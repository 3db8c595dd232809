// The overlay2 graph driver, laid out as Docker's: overlay2/<id>/{diff,work,merged,link,lower}
// and short links overlay2/l/<26 chars> → ../<id>/diff, so lowerdir= strings stay under one page
// even for deep images. Mounts use relative lowerdirs with the driver's home as cwd.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { mount, umount2, MNT_DETACH } from '../lib/libc.js';
import { mountPoints } from '../lib/mountinfo.js';
import { treeSize } from '../lib/disk-usage.js';
import { SystemError } from '../lib/errors.js';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const MS_BIND = 4096;
/** mount(2) takes at most one page of options. */
const MAX_MOUNT_DATA = 4000;

function shortLinkName(): string {
  const bytes = randomBytes(26);
  let s = '';
  for (const b of bytes) s += BASE32[b & 31];
  return s;
}

export class Overlay2Driver {
  readonly name = 'overlay2';
  constructor(readonly home: string) {}

  /** merged/ directories this driver has mounted; read from the kernel once, at start. */
  private mounted = new Set<string>();

  async init(): Promise<void> {
    await fs.mkdir(join(this.home, 'l'), { recursive: true, mode: 0o700 });
    for (const m of mountPoints()) if (m.startsWith(this.home + '/')) this.mounted.add(m);
  }

  dir(id: string): string {
    return join(this.home, id);
  }

  diffDir(id: string): string {
    return join(this.home, id, 'diff');
  }

  mergedDir(id: string): string {
    return join(this.home, id, 'merged');
  }

  /** Creates the directories of layer `id` on top of `parent` (a driver id, or none). */
  async create(id: string, parent?: string): Promise<void> {
    const d = this.dir(id);
    await fs.mkdir(d, { mode: 0o710 });
    await fs.mkdir(join(d, 'diff'), { mode: 0o755 });
    const link = shortLinkName();
    await fs.symlink(join('..', id, 'diff'), join(this.home, 'l', link));
    await fs.writeFile(join(d, 'link'), link);
    if (parent) {
      const parentLink = (await fs.readFile(join(this.dir(parent), 'link'), 'utf8')).trim();
      const parentLower = await fs.readFile(join(this.dir(parent), 'lower'), 'utf8').catch(() => '');
      const lower = [`l/${parentLink}`, ...parentLower.split(':').filter(Boolean)].join(':');
      await fs.writeFile(join(d, 'lower'), lower);
      await fs.mkdir(join(d, 'work'), { mode: 0o700 });
    }
  }

  async lowerDirs(id: string): Promise<string[]> {
    const lower = await fs.readFile(join(this.dir(id), 'lower'), 'utf8').catch(() => '');
    return lower
      .split(':')
      .filter(Boolean)
      .map((l) => join(this.home, l));
  }

  /** Mounts the union of `id` and its lowers at merged/ and returns that path. */
  async mount(id: string): Promise<string> {
    const d = this.dir(id);
    const merged = this.mergedDir(id);
    await fs.mkdir(merged, { recursive: true, mode: 0o700 });
    if (this.mounted.has(merged)) return merged;
    const lower = (await fs.readFile(join(d, 'lower'), 'utf8').catch(() => '')).trim();
    if (!lower) {
      // A base layer alone: bind it so callers always get a mountpoint they can unmount.
      mountOrThrow(join(d, 'diff'), merged, null, MS_BIND, null);
      this.mounted.add(merged);
      return merged;
    }
    await fs.mkdir(join(d, 'work'), { recursive: true, mode: 0o700 });
    const absolute = `lowerdir=${lower
      .split(':')
      .map((l) => join(this.home, l))
      .join(':')},upperdir=${join(d, 'diff')},workdir=${join(d, 'work')},index=off`;
    if (absolute.length < MAX_MOUNT_DATA) {
      mountOrThrow('overlay', merged, 'overlay', 0, absolute);
      this.mounted.add(merged);
      return merged;
    }
    // Deep images: relative l/ links keep the options under one page, resolved from the driver's
    // home. chdir, mount and chdir back happen in one synchronous turn, so no other code sees it.
    const cwd = process.cwd();
    process.chdir(this.home);
    try {
      mountOrThrow('overlay', merged, 'overlay', 0, `lowerdir=${lower},upperdir=${id}/diff,workdir=${id}/work,index=off`);
    } finally {
      process.chdir(cwd);
    }
    this.mounted.add(merged);
    return merged;
  }

  async unmount(id: string): Promise<void> {
    const merged = this.mergedDir(id);
    this.mounted.delete(merged);
    try {
      // Detached: the call returns at once (a plain umount of an overlay blocked the daemon's
      // thread for ~5 ms) and the kernel finishes when the last user is gone.
      umount2(merged, MNT_DETACH);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EINVAL' || code === 'ENOENT') return; // not mounted
      throw new SystemError(`unmount ${merged}: ${(err as Error).message}`);
    }
  }

  async remove(id: string): Promise<void> {
    await this.unmount(id).catch(() => undefined);
    const link = await fs.readFile(join(this.dir(id), 'link'), 'utf8').catch(() => '');
    if (link.trim()) await fs.rm(join(this.home, 'l', link.trim()), { force: true });
    await fs.rm(this.dir(id), { recursive: true, force: true });
  }

  /** Total bytes of files in a layer's own diff directory. */
  async size(id: string): Promise<number> {
    return treeSize(this.diffDir(id));
  }
}

function mountOrThrow(source: string, target: string, fstype: string | null, flags: number, data: string | null): void {
  try {
    mount(source, target, fstype, flags, data);
  } catch (err) {
    throw new SystemError(`mount ${fstype ?? 'bind'} at ${target}: ${(err as Error).message}`);
  }
}
