// A container's filesystem from outside: `docker cp` (archive GET/HEAD/PUT), `docker export`,
// `docker diff` and `docker commit`. Paths are resolved inside the container's root as a chroot
// would, so a symlink in the container never leads to the host.
import { promises as fs } from 'node:fs';
import { posix } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { NotFound, InvalidParameter, Conflict } from '../lib/errors.js';
import type { LayerStore } from '../layers/store.js';
import { chainIdOf } from '../layers/store.js';
import { applyLayer } from '../layers/archive/apply.js';
import { packTree, type Change } from '../layers/archive/diff.js';
import { resolveInRoot } from '../layers/archive/root-path.js';
import { translateTarIds } from '../layers/archive/tar-ids.js';
import type { ImageService } from '../images/service.js';
import type { Image, ImageConfig } from '../images/store.js';
import { applyChanges } from '../images/changes.js';
import { isRunning, type ContainerRecord } from './model.js';
import { openArchiveView, bundleBindMounts, type ArchiveView } from './archive-view.js';
import type { ContainerService } from './service.js';

export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

/** Go's os.FileMode bits, which Docker puts in X-Docker-Container-Path-Stat. */
function goFileMode(st: import('node:fs').Stats): number {
  let m = st.mode & 0o777;
  if (st.isDirectory()) m |= 0x80000000;
  if (st.isSymbolicLink()) m |= 0x08000000;
  if (st.isFIFO()) m |= 0x02000000;
  if (st.isSocket()) m |= 0x01000000;
  if (st.isCharacterDevice()) m |= 0x04000000 | 0x00200000;
  if (st.isBlockDevice()) m |= 0x04000000;
  if (st.mode & 0o4000) m |= 0x00800000;
  if (st.mode & 0o2000) m |= 0x00400000;
  if (st.mode & 0o1000) m |= 0x00100000;
  return m >>> 0;
}

export class ContainerFilesystem {
  constructor(
    private readonly containers: ContainerService,
    private readonly layers: LayerStore,
    private readonly images: ImageService,
  ) {}

  /**
   * Runs `fn` with the container's root mounted and its bind mounts (network files, volumes,
   * binds) in place, as Docker's archive operations see it; unmounts afterwards if it was not
   * running.
   */
  private async withRoot<T>(c: ContainerRecord, fn: (root: string, view: ArchiveView) => Promise<T>): Promise<T> {
    const view = await this.openView(c);
    try {
      return await fn(view.root, view);
    } finally {
      await this.closeView(c, view);
    }
  }

  private async openView(c: ContainerRecord): Promise<ArchiveView> {
    const rootfs = await this.layers.mountRW(c.Id);
    try {
      return await openArchiveView(rootfs, await bundleBindMounts(this.containers.bundleDir(c.Id)));
    } catch (err) {
      if (!isRunning(c)) await this.layers.unmountRW(c.Id).catch(() => undefined);
      throw err;
    }
  }

  private async closeView(c: ContainerRecord, view: ArchiveView): Promise<void> {
    await view.close();
    if (!isRunning(c)) await this.layers.unmountRW(c.Id).catch(() => undefined);
  }

  async statPath(ref: string, path: string): Promise<PathStat> {
    const c = this.containers.get(ref);
    return this.withRoot(c, async (root) => {
      const host = await resolveInRoot(root, path, false);
      const st = await fs.lstat(host).catch(() => undefined);
      if (!st) throw new NotFound(`Could not find the file ${path} in container ${ref}`);
      const linkTarget = st.isSymbolicLink() ? await fs.readlink(host) : '';
      return { name: posix.basename(path) || '/', size: st.size, mode: goFileMode(st), mtime: st.mtime.toISOString(), linkTarget };
    });
  }

  /** A tar of `path` as `docker cp CONTAINER:path` wants it (the path's base name at the top). */
  async getArchive(ref: string, path: string): Promise<{ stat: PathStat; stream: Readable }> {
    const c = this.containers.get(ref);
    const stat = await this.statPath(ref, path);
    const view = await this.openView(c);
    const rel = path.replace(/\/+$/, '').replace(/^\/+/, '');
    const base = posix.basename('/' + rel) || '.';
    const follow = path.endsWith('/.') || path.endsWith('/');
    // userns-remap: the files carry the remapped root's ids; the archive shows the container's.
    const tar = translateTarIds(packTree(view.root, { includeRoot: follow ? rel.replace(/\/\.$/, '') : rel, rebaseName: follow ? '.' : base }), this.layers.idMap);
    const out = new PassThrough();
    tar.on('error', (e) => out.destroy(e));
    tar.pipe(out);
    out.on('close', () => void this.closeView(c, view).catch(() => undefined));
    return { stat, stream: out };
  }

  /** Extracts a tar into `path` inside the container (`docker cp SRC CONTAINER:path`). */
  async putArchive(ref: string, path: string, input: Readable, o: { noOverwriteDirNonDir: boolean }): Promise<void> {
    const c = this.containers.get(ref);
    await this.withRoot(c, async (root, view) => {
      const host = await resolveInRoot(root, path, true);
      const st = await fs.stat(host).catch(() => undefined);
      if (!st) throw new NotFound(`Could not find the file ${path} in container ${ref}`);
      if (!st.isDirectory()) throw new InvalidParameter(`extraction point is not a directory`);
      // Docker's rule: a path inside a mount is writable when that mount is; the read-only
      // rootfs only refuses paths outside every writable mount.
      const mount = view.mountAt('/' + posix.relative(root, host));
      if (mount?.readonly) throw new InvalidParameter('mounted volume is marked read-only');
      if (!mount && c.HostConfig.ReadonlyRootfs && isRunning(c)) throw new Conflict('container rootfs is marked read-only');
      void o.noOverwriteDirNonDir;
      // userns-remap: the archive's ids are the container's; the files get their host ids, and
      // the extraction point keeps its owner (the apply path would hand it to the remapped root).
      await applyLayer(input, host, { whiteouts: 'naive', idMap: this.layers.idMap });
      if (this.layers.idMap) await fs.lchown(host, st.uid, st.gid);
    });
  }

  async export(ref: string): Promise<Readable> {
    const c = this.containers.get(ref);
    const root = await this.layers.mountRW(c.Id);
    const tar = translateTarIds(packTree(root), this.layers.idMap);
    const out = new PassThrough();
    tar.on('error', (e) => out.destroy(e));
    tar.pipe(out);
    out.on('close', () => {
      if (!isRunning(c)) void this.layers.unmountRW(c.Id).catch(() => undefined);
    });
    this.containers.event(c, 'export');
    return out;
  }

  changes(ref: string): Promise<Change[]> {
    return this.layers.changesRW(this.containers.get(ref).Id);
  }

  /** `docker commit`: the container's changes as a new layer on its image, with its config. */
  async commit(ref: string, o: { repo?: string; tag?: string; comment?: string; author?: string; changes: string[]; pause: boolean; config?: Record<string, unknown> }): Promise<Image> {
    const c = this.containers.get(ref);
    const base = this.images.store.byId(c.Image);
    if (!base) throw new NotFound(`No such image: ${c.Image}`);
    const pause = o.pause && c.State.Status === 'running';
    if (pause) await this.containers.pause(c.Id);
    try {
      const parentChain = chainIdOf(base.config.rootfs.diff_ids);
      // The layer holds the container's ids, as the image's layers do (the store shifts them again).
      const layer = await this.layers.register(translateTarIds(this.layers.diffRW(c.Id), this.layers.idMap), parentChain);
      const now = new Date().toISOString();
      const cfg = c.Config;
      const imageConfig = applyChanges(
        {
          ...(base.config.config ?? {}),
          Hostname: cfg.Hostname,
          Domainname: cfg.Domainname,
          User: cfg.User ?? '',
          Env: cfg.Env ?? null,
          Cmd: cfg.Cmd ?? null,
          Entrypoint: cfg.Entrypoint ?? null,
          WorkingDir: cfg.WorkingDir ?? '',
          Labels: cfg.Labels ?? null,
          ExposedPorts: cfg.ExposedPorts ?? undefined,
          Volumes: cfg.Volumes ?? null,
          ...(o.config ?? {}),
        },
        o.changes,
      );
      const config: ImageConfig = {
        architecture: base.config.architecture,
        os: base.config.os,
        created: now,
        ...(o.author ? { author: o.author } : {}),
        ...(o.comment ? { comment: o.comment } : {}),
        config: imageConfig,
        container: c.Id,
        rootfs: { type: 'layers', diff_ids: [...base.config.rootfs.diff_ids, layer.diffId] },
        history: [...(base.config.history ?? []), { created: now, created_by: [c.Path, ...c.Args].join(' '), ...(o.author ? { author: o.author } : {}), ...(o.comment ? { comment: o.comment } : {}) }],
      };
      const img = await this.images.store.create(Buffer.from(JSON.stringify(config)), base.id);
      if (o.repo) await this.images.tag(img.id, o.tag ? `${o.repo}:${o.tag}` : o.repo);
      this.containers.event(c, 'commit', { comment: o.comment ?? '' });
      return img;
    } finally {
      if (pause) await this.containers.unpause(c.Id).catch(() => undefined);
    }
  }
}
