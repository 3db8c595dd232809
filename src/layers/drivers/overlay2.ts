// The overlay2 graph driver, laid out as Docker's: overlay2/<id>/{diff,work,merged,link,lower}
// and short links overlay2/l/<26 chars> → ../<id>/diff, so lowerdir= strings stay under one page
// even for deep images. Mounts use relative lowerdirs with the driver's home as cwd. Size quotas
// are xfs project quotas on a container layer's directory.
import { promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { mount, umount2, MNT_DETACH } from '../../lib/libc.js';
import { mountPoints } from '../../lib/mountinfo.js';
import { treeSize } from '../../lib/disk-usage.js';
import { InvalidParameter, SystemError } from '../../lib/errors.js';
import { changes, diffOverlay, type Change } from '../archive/diff.js';
import type { CreateOptions, StorageDriver } from './driver.js';
import { backingFs } from './backing-fs.js';
import { parseContainerStorageOpt, type QuotaRequest } from './storage-opts.js';
import { XfsProjectQuota } from './xfs-quota.js';

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

/** Where a quota'd layer records its xfs project id (Docker reads it back from the inode). */
const QUOTA_FILE = 'quota-project';
const QUOTA_UNSUPPORTED = "--storage-opt is supported only for overlay over xfs with 'pquota' mount option";

export class Overlay2Driver implements StorageDriver {
  readonly name = 'overlay2';
  readonly applyMode = 'overlay';
  private backing = '';
  private quota?: XfsProjectQuota;
  private nextProject = 1;

  /** `defaults`: daemon storage-opts (overlay2.size applies to every container). */
  constructor(
    readonly home: string,
    private readonly defaults: QuotaRequest = {},
  ) {}

  /** merged/ directories this driver has mounted; read from the kernel once, at start. */
  private mounted = new Set<string>();

  async init(): Promise<void> {
    await fs.mkdir(join(this.home, 'l'), { recursive: true, mode: 0o700 });
    for (const m of mountPoints()) if (m.startsWith(this.home + '/')) this.mounted.add(m);
    this.backing = await backingFs(this.home);
    this.quota = XfsProjectQuota.probe(this.home);
    if (this.defaults.size !== undefined && !this.quota) {
      throw new InvalidParameter(`Storage option overlay2.size only supported for backingFS XFS. Found ${this.backing}`);
    }
    if (this.quota) {
      for (const id of await this.ids()) {
        const p = Number(await fs.readFile(join(this.dir(id), QUOTA_FILE), 'utf8').catch(() => '0'));
        if (p >= this.nextProject) this.nextProject = p + 1;
      }
    }
  }

  validateStorageOpt(opts: Record<string, string>): void {
    const q = parseContainerStorageOpt(opts);
    if (q.size !== undefined && !this.quota) throw new InvalidParameter(QUOTA_UNSUPPORTED);
  }

  applyDir(id: string): string {
    return this.diffDir(id);
  }

  /** Each container's overlay2/<id> is opened when its layers are made (remapContainerLayers). */
  containerRootParents(): string[] {
    return [];
  }

  async ids(): Promise<string[]> {
    return (await fs.readdir(this.home)).filter((n) => n !== 'l');
  }

  status(): [string, string][] {
    return [
      ['Backing Filesystem', this.backing],
      ['Supports d_type', 'true'],
      ['Using metacopy', 'false'],
      ['Native Overlay Diff', 'true'],
      ['userxattr', 'false'],
    ];
  }

  async metadata(id: string): Promise<Record<string, string>> {
    const lowers: string[] = [];
    for (const l of await this.lowerDirs(id)) lowers.push(resolve(join(l, '..'), await fs.readlink(l).catch(() => l)));
    return {
      ...(lowers.length ? { LowerDir: lowers.join(':') } : {}),
      MergedDir: this.mergedDir(id),
      UpperDir: this.diffDir(id),
      WorkDir: join(this.dir(id), 'work'),
    };
  }

  diff(id: string): Readable {
    return diffOverlay(this.diffDir(id));
  }

  async changes(id: string): Promise<Change[]> {
    return changes(this.diffDir(id), await this.lowerDirs(id));
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
  async create(id: string, parent?: string, opts: CreateOptions = {}): Promise<void> {
    const d = this.dir(id);
    await fs.mkdir(d, { mode: 0o710 });
    const size = opts.storageOpt ? (parseContainerStorageOpt(opts.storageOpt).size ?? this.defaults.size) : undefined;
    if (size !== undefined) {
      if (!this.quota) throw new InvalidParameter(QUOTA_UNSUPPORTED);
      const project = this.nextProject++;
      await this.quota.limit(d, project, size);
      await fs.writeFile(join(d, QUOTA_FILE), String(project));
    }
    // Independent steps run together: two layers (init and container) are made per `docker run`.
    const link = shortLinkName();
    await Promise.all([
      fs.mkdir(join(d, 'diff'), { mode: 0o755 }).then(() => fs.symlink(join('..', id, 'diff'), join(this.home, 'l', link))),
      fs.writeFile(join(d, 'link'), link),
      parent &&
        Promise.all([
          fs.readFile(join(this.dir(parent), 'link'), 'utf8'),
          fs.readFile(join(this.dir(parent), 'lower'), 'utf8').catch(() => ''),
          fs.mkdir(join(d, 'work'), { mode: 0o700 }),
        ]).then(([parentLink, parentLower]) =>
          fs.writeFile(join(d, 'lower'), [`l/${parentLink.trim()}`, ...parentLower.split(':').filter(Boolean)].join(':')),
        ),
    ]);
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
    const project = Number(await fs.readFile(join(this.dir(id), QUOTA_FILE), 'utf8').catch(() => '0'));
    if (project && this.quota) await this.quota.release(project).catch(() => undefined);
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
