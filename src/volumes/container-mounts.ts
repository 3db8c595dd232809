// What the containers service asks of volumes over a container's life: at create, resolve
// --volumes-from, -v, --mount and the image's VOLUMEs into mount points (creating and referencing
// volumes); at start, mount them, copy image content up and hand back OCI mounts; at exit,
// unmount; at removal, drop references and, with `rm -v`, the anonymous volumes.
import { existsSync, promises as fs } from 'node:fs';
import { posix } from 'node:path';
import { Conflict, InvalidParameter } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { OciMount } from '../containers/oci-spec/types.js';
import { mergeTmpfsOptions } from '../containers/oci-spec/mounts.js';
import { parseBind, parseMount, parseVolumesFrom, type ApiMount, type ParsedMount } from './mount-spec.js';
import type { MountPoint } from './mount-point.js';
import type { VolumeService } from './service.js';
import { LOCAL_DRIVER } from './local-driver.js';
import { copyUp } from './copy-up.js';

/** The parts of a container these hooks read. */
export interface MountingContainer {
  Id: string;
  Config: { Volumes?: Record<string, object> | null };
  HostConfig: Record<string, unknown>;
  MountPoints?: MountPoint[];
}

export class ContainerMounts {
  /** Containers whose volumes are mounted now (so an exit after a failed start unmounts once). */
  private active = new Set<string>();

  constructor(
    readonly volumes: VolumeService,
    private readonly log: Logger,
  ) {}

  /**
   * Create: every attachment of a new container, checked as dockerd checks it. Volumes named or
   * implied are created and referenced by `c.Id`; on error nothing is left behind.
   */
  async resolve(c: MountingContainer, lookup: (ref: string) => MountingContainer): Promise<MountPoint[]> {
    const hc = c.HostConfig;
    const points = new Map<string, MountPoint>();
    const taken: { name: string; created: boolean }[] = [];
    const explicit = new Set<string>();
    const tmpfs = (hc.Tmpfs as Record<string, string> | null | undefined) ?? {};
    try {
      const useVolume = async (p: ParsedMount, anonymous: boolean, fromConfig = false): Promise<MountPoint> => {
        const existed = !!p.source && !!this.volumes.find(p.source);
        const v = await this.volumes.create({ Name: p.source, Driver: p.driver, DriverOpts: p.driverOptions, Labels: p.labels }, anonymous);
        this.volumes.ref(v.Name, c.Id);
        taken.push({ name: v.Name, created: !existed });
        return {
          Type: 'volume',
          Name: v.Name,
          Source: this.volumes.mountpoint(v.Name),
          Destination: p.destination,
          Driver: v.Driver,
          // dockerd records "z" for a local volume given by -v or --mount without a mode.
          Mode: p.mode === '' && v.Driver === LOCAL_DRIVER && !fromConfig ? 'z' : p.mode,
          RW: p.rw,
          Propagation: '',
          CopyData: p.copyData,
          ...(anonymous ? { Anonymous: true } : {}),
        };
      };

      // 1. --volumes-from: the other container's mount points, read-only if asked.
      for (const spec of (hc.VolumesFrom as string[] | null | undefined) ?? []) {
        const { container, rw } = parseVolumesFrom(spec);
        const other = lookup(container);
        for (const m of other.MountPoints ?? []) {
          if (m.Type === 'volume' && m.Name) {
            this.volumes.get(m.Name);
            this.volumes.ref(m.Name, c.Id);
            taken.push({ name: m.Name, created: false });
          }
          points.set(m.Destination, { ...m, RW: m.RW && rw, CopyData: false, Mode: m.Type === 'volume' ? '' : m.Mode });
        }
      }

      // 2. -v SRC:DST[:MODE]
      for (const raw of (hc.Binds as string[] | null | undefined) ?? []) {
        const p = parseBind(raw, (hc.VolumeDriver as string | undefined) ?? '');
        if (explicit.has(p.destination) || p.destination in tmpfs) throw new InvalidParameter(`Duplicate mount point: ${p.destination}`);
        explicit.add(p.destination);
        points.set(p.destination, p.type === 'volume' ? await useVolume(p, p.source === '') : bindPoint(p));
      }

      // 3. --mount
      for (const m of (hc.Mounts as ApiMount[] | null | undefined) ?? []) {
        const p = parseMount(m, (path) => existsSync(path));
        if (explicit.has(p.destination)) throw new InvalidParameter(`Duplicate mount point: ${m.Target}`);
        explicit.add(p.destination);
        if (p.type === 'volume') points.set(p.destination, await useVolume(p, p.source === ''));
        else if (p.type === 'bind') points.set(p.destination, bindPoint(p));
        else {
          points.set(p.destination, { Type: 'tmpfs', Source: '', Destination: p.destination, Mode: '', RW: p.rw, Propagation: '', CopyData: false, TmpfsData: p.tmpfsData });
        }
      }

      // 4. Config.Volumes (`-v /path` and the image's VOLUMEs): anonymous volumes where nothing else is mounted.
      for (const dest of Object.keys(c.Config.Volumes ?? {})) {
        if (!posix.isAbsolute(dest)) throw new InvalidParameter(`invalid mount config for type "volume": invalid mount path: '${dest}' mount path must be absolute`);
        const clean = posix.normalize(dest).replace(/(.)\/+$/, '$1');
        if (clean === '/') throw new InvalidParameter(`invalid mount config for type "volume": invalid specification: destination can't be '/'`);
        if (points.has(clean) || clean in tmpfs) continue;
        points.set(
          clean,
          await useVolume({ type: 'volume', source: '', destination: clean, rw: true, mode: '', propagation: '', nonRecursive: false, copyData: true, driver: (hc.VolumeDriver as string | undefined) ?? '', createSource: false, tmpfsData: '' }, true, true),
        );
      }
    } catch (err) {
      await this.undo(c.Id, taken);
      throw err;
    }
    return [...points.values()].sort((a, b) => (a.Destination < b.Destination ? -1 : a.Destination > b.Destination ? 1 : 0));
  }

  private async undo(id: string, taken: { name: string; created: boolean }[]): Promise<void> {
    for (const t of taken) {
      this.volumes.unref(t.name, id);
      if (t.created) await this.volumes.remove(t.name).catch(() => undefined);
    }
  }

  /** A create that failed after resolve(): its references and new anonymous volumes go. */
  async abandon(c: MountingContainer): Promise<void> {
    await this.removed(c, true);
  }

  /**
   * Start: mounts the container's volumes (copying image content into empty ones), creates
   * missing -v host directories, and returns the OCI mounts for the runtime.
   */
  async setup(c: MountingContainer, rootfs: string): Promise<OciMount[]> {
    const out: OciMount[] = [];
    const mounted: string[] = [];
    try {
      for (const m of c.MountPoints ?? []) {
        if (m.Type === 'tmpfs') {
          const data = m.TmpfsData ? m.TmpfsData.split(',') : [];
          out.push({ destination: m.Destination, type: 'tmpfs', source: 'tmpfs', options: mergeTmpfsOptions(['noexec', 'nosuid', 'nodev', 'rprivate', ...data]) });
          continue;
        }
        let source = m.Source;
        if (m.Type === 'bind') {
          const exists = await fs.stat(source).then(() => true, () => false);
          if (!exists) {
            if (!m.CreateSource) throw new InvalidParameter(`invalid mount config for type "bind": bind source path does not exist: ${source}`);
            await fs.mkdir(source, { recursive: true, mode: 0o755 });
          }
        } else {
          source = await this.volumes.mount(m.Name!, c.Id, { destination: m.Destination, rw: m.RW, propagation: m.Propagation });
          mounted.push(m.Name!);
          if (m.CopyData) await copyUp(rootfs, m.Destination, source);
        }
        const options = [m.NonRecursive ? 'bind' : 'rbind'];
        if (!m.RW) options.push('ro');
        options.push(m.Propagation || 'rprivate');
        out.push({ destination: m.Destination, type: 'bind', source, options });
      }
    } catch (err) {
      for (const name of mounted) await this.volumes.unmount(name, c.Id).catch(() => undefined);
      throw err;
    }
    if (mounted.length) this.active.add(c.Id);
    return out;
  }

  /** Exit (or a start that failed after setup): the container's volumes are released. */
  async teardown(c: MountingContainer): Promise<void> {
    if (!this.active.delete(c.Id)) return;
    for (const m of c.MountPoints ?? []) {
      if (m.Type !== 'volume' || !m.Name) continue;
      await this.volumes.unmount(m.Name, c.Id).catch((err) => this.log.warn(`unmount volume ${m.Name}: ${(err as Error).message}`));
    }
  }

  /** Live restore: containers still running keep their volumes counted as mounted. */
  restore(containers: (MountingContainer & { running: boolean })[]): void {
    const users: { name: string; containerId: string; running: boolean }[] = [];
    for (const c of containers) {
      for (const m of c.MountPoints ?? []) if (m.Type === 'volume' && m.Name) users.push({ name: m.Name, containerId: c.Id, running: c.running });
      if (c.running && (c.MountPoints ?? []).some((m) => m.Type === 'volume')) this.active.add(c.Id);
    }
    this.volumes.restore(users);
  }

  /** Removal: references go; with `v` (rm -v, --rm) the anonymous volumes no one else uses go too. */
  async removed(c: MountingContainer, removeAnonymous: boolean): Promise<void> {
    await this.teardown(c);
    for (const m of c.MountPoints ?? []) {
      if (m.Type !== 'volume' || !m.Name) continue;
      this.volumes.unref(m.Name, c.Id);
      if (!removeAnonymous || !m.Anonymous) continue;
      try {
        await this.volumes.remove(m.Name);
      } catch (err) {
        if (!(err instanceof Conflict)) this.log.warn(`remove volume ${m.Name}: ${(err as Error).message}`);
      }
    }
  }
}

function bindPoint(p: ParsedMount): MountPoint {
  return {
    Type: 'bind',
    Source: p.source,
    Destination: p.destination,
    Mode: p.mode,
    RW: p.rw,
    Propagation: p.propagation,
    CopyData: false,
    ...(p.createSource ? { CreateSource: true } : {}),
    ...(p.nonRecursive ? { NonRecursive: true } : {}),
  };
}
