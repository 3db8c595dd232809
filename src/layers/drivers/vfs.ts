// The vfs driver: every layer is a plain directory holding a full copy of its parent plus its own
// diff (vfs/dir/<id>), so it works on any filesystem at the cost of space and copy time. A
// container's rootfs is its directory, used directly; size quotas need xfs project quotas.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { InvalidParameter } from '../../lib/errors.js';
import type { CreateOptions, StorageDriver } from './driver.js';
import { FullTreeDriver } from './full-tree-driver.js';
import { parseContainerStorageOpt, type QuotaRequest } from './storage-opts.js';
import { copyTree } from './tree-copy.js';
import { XfsProjectQuota } from './xfs-quota.js';

const QUOTA_UNSUPPORTED = 'Filesystem does not support, or has not enabled quotas';

export class VfsDriver extends FullTreeDriver implements StorageDriver {
  readonly name = 'vfs';
  private quota?: XfsProjectQuota;
  private nextProject = 1;
  /** Project ids of quota'd layers, kept beside the layer directories. */
  private readonly quotaDir: string;

  constructor(
    home: string,
    private readonly defaults: QuotaRequest = {},
  ) {
    super(home, 'dir');
    this.quotaDir = join(home, 'quota');
  }

  async init(): Promise<void> {
    await fs.mkdir(join(this.home, 'dir'), { recursive: true, mode: 0o700 });
    this.quota = XfsProjectQuota.probe(this.home);
    if (this.defaults.size !== undefined && !this.quota) throw new InvalidParameter(`vfs.size: ${QUOTA_UNSUPPORTED}`);
    if (this.quota) {
      await fs.mkdir(this.quotaDir, { recursive: true, mode: 0o700 });
      for (const f of await fs.readdir(this.quotaDir)) {
        const p = Number(await fs.readFile(join(this.quotaDir, f), 'utf8').catch(() => '0'));
        if (p >= this.nextProject) this.nextProject = p + 1;
      }
    }
  }

  validateStorageOpt(opts: Record<string, string>): void {
    if (parseContainerStorageOpt(opts).size !== undefined && !this.quota) throw new InvalidParameter(QUOTA_UNSUPPORTED);
  }

  async create(id: string, parent?: string, opts: CreateOptions = {}): Promise<void> {
    const d = this.dir(id);
    await fs.mkdir(d, { mode: 0o755 });
    const size = opts.storageOpt ? (parseContainerStorageOpt(opts.storageOpt).size ?? this.defaults.size) : undefined;
    if (size !== undefined) {
      if (!this.quota) throw new InvalidParameter(QUOTA_UNSUPPORTED);
      const project = this.nextProject++;
      await fs.writeFile(join(this.quotaDir, id), String(project));
      await this.quota.limit(d, project, size);
    }
    if (parent) await copyTree(this.dir(parent), d);
  }

  applyDir(id: string): string {
    return this.dir(id);
  }

  async mount(id: string): Promise<string> {
    return this.dir(id);
  }

  async unmount(): Promise<void> {}

  async remove(id: string): Promise<void> {
    await fs.rm(this.dir(id), { recursive: true, force: true });
    const project = Number(await fs.readFile(join(this.quotaDir, id), 'utf8').catch(() => '0'));
    if (project && this.quota) await this.quota.release(project).catch(() => undefined);
    await fs.rm(join(this.quotaDir, id), { force: true });
  }

  status(): [string, string][] {
    return [];
  }

  async metadata(): Promise<null> {
    return null;
  }
}
