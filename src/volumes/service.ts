// The volume store: every volume's metadata (`<data-root>/volumes/<name>/volume.json`, written
// atomically), which containers hold a reference to it, and the operations behind /volumes —
// create, inspect, list, remove, prune — with Docker's rules for names, conflicts and events.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Conflict, NotFound } from '../lib/errors.js';
import { writeJsonAtomic, readJsonIfExists } from '../lib/atomic-file.js';
import type { Logger } from '../lib/log.js';
import type { EventBus } from '../daemon/events.js';
import { LocalDriver, LOCAL_DRIVER } from './local-driver.js';
import { listFilter, pruneFilter, type FilterSubject } from './filters.js';
import type { IdMapping } from '../userns/id-mapping.js';

/** Docker marks the volumes it makes for a container (`-v /path`, image VOLUME) with this label. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

export interface Volume {
  Name: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Options: Record<string, string> | null;
  CreatedAt: string;
}

export interface VolumeCreateRequest {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

export interface VolumeUsage {
  Size: number;
  RefCount: number;
}

export class VolumeService {
  readonly driver: LocalDriver;
  private volumes = new Map<string, Volume>();
  private refs = new Map<string, Set<string>>();
  private creating = new Map<string, Promise<Volume>>();

  constructor(private readonly o: { dataRoot: string; events: EventBus; log: Logger; idMap?: IdMapping }) {
    this.driver = new LocalDriver(join(o.dataRoot, 'volumes'));
    this.driver.rootOwner = o.idMap?.root;
  }

  async init(): Promise<void> {
    await fs.mkdir(this.driver.root, { recursive: true, mode: 0o701 });
    for (const e of await fs.readdir(this.driver.root, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const meta = await readJsonIfExists<Volume>(join(this.driver.dir(e.name), 'volume.json')).catch(() => undefined);
      if (meta) {
        this.volumes.set(e.name, meta);
        continue;
      }
      // A directory without metadata: a crash mid-create, or a volume from an older layout.
      const st = await fs.stat(this.driver.mountpoint(e.name)).catch(() => undefined);
      if (!st) continue;
      const v: Volume = { Name: e.name, Driver: LOCAL_DRIVER, Labels: null, Options: null, CreatedAt: rfc3339(st.mtime) };
      await writeJsonAtomic(join(this.driver.dir(e.name), 'volume.json'), v);
      this.volumes.set(e.name, v);
    }
  }

  /** After the containers are loaded: who references what, and which volumes are in use now. */
  restore(users: { name: string; containerId: string; running: boolean }[]): void {
    const running = new Map<string, number>();
    for (const u of users) {
      if (!this.volumes.has(u.name)) continue;
      this.ref(u.name, u.containerId);
      if (u.running) running.set(u.name, (running.get(u.name) ?? 0) + 1);
    }
    for (const v of this.volumes.values()) this.driver.restoreActive(v.Name, running.get(v.Name) ?? 0, v.Options);
  }

  // ---------------------------------------------------------------- create and look-up

  async create(req: VolumeCreateRequest, anonymous = false): Promise<Volume> {
    const name = req.Name || newVolumeName();
    const driver = req.Driver || LOCAL_DRIVER;
    if (driver !== LOCAL_DRIVER) throw new NotFound(`create ${name}: error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    this.driver.validateName(name);
    const existing = this.volumes.get(name) ?? (await this.creating.get(name)?.catch(() => undefined));
    if (existing) {
      if (existing.Driver !== driver) throw new Conflict(`create ${name}: a volume with the name ${name} already exists with driver "${existing.Driver}"`);
      return existing;
    }
    this.driver.validateOptions(name, req.DriverOpts);
    const labels = { ...(req.Labels ?? {}) };
    if (anonymous) labels[ANONYMOUS_LABEL] = '';
    const v: Volume = {
      Name: name,
      Driver: driver,
      Labels: Object.keys(labels).length ? labels : null,
      Options: req.DriverOpts && Object.keys(req.DriverOpts).length ? { ...req.DriverOpts } : null,
      CreatedAt: rfc3339(new Date()),
    };
    const p = (async () => {
      await this.driver.create(name);
      await writeJsonAtomic(join(this.driver.dir(name), 'volume.json'), v);
      this.volumes.set(name, v);
      return v;
    })();
    this.creating.set(name, p);
    try {
      await p;
    } catch (err) {
      await fs.rm(this.driver.dir(name), { recursive: true, force: true }).catch(() => undefined);
      throw err;
    } finally {
      this.creating.delete(name);
    }
    this.o.events.publish('volume', 'create', name, { driver });
    return v;
  }

  find(name: string): Volume | undefined {
    return this.volumes.get(name);
  }

  get(name: string): Volume {
    const v = this.volumes.get(name);
    if (!v) throw new NotFound(`get ${name}: no such volume`);
    return v;
  }

  list(filters: Map<string, string[]> = new Map()): Volume[] {
    const match = listFilter(filters);
    return [...this.volumes.values()].filter((v) => match(this.subject(v))).sort((a, b) => (a.Name < b.Name ? -1 : 1));
  }

  mountpoint(name: string): string {
    return this.driver.mountpoint(name);
  }

  isAnonymous(v: Volume): boolean {
    return !!v.Labels && ANONYMOUS_LABEL in v.Labels;
  }

  // ---------------------------------------------------------------- references and mounting

  ref(name: string, containerId: string): void {
    let set = this.refs.get(name);
    if (!set) this.refs.set(name, (set = new Set()));
    set.add(containerId);
  }

  unref(name: string, containerId: string): void {
    const set = this.refs.get(name);
    set?.delete(containerId);
    if (set && set.size === 0) this.refs.delete(name);
  }

  users(name: string): string[] {
    return [...(this.refs.get(name) ?? [])];
  }

  /** Makes the volume's data available to a starting container; returns the host path. */
  async mount(name: string, containerId: string, attrs: { destination: string; rw: boolean; propagation: string }): Promise<string> {
    const v = this.get(name);
    const path = await this.driver.mount(name, v.Options);
    this.o.events.publish('volume', 'mount', name, {
      container: containerId,
      destination: attrs.destination,
      driver: v.Driver,
      propagation: attrs.propagation,
      'read/write': String(attrs.rw),
    });
    return path;
  }

  async unmount(name: string, containerId: string): Promise<void> {
    const v = this.volumes.get(name);
    if (!v) return;
    await this.driver.unmount(name, v.Options);
    this.o.events.publish('volume', 'unmount', name, { container: containerId, driver: v.Driver });
  }

  // ---------------------------------------------------------------- removal

  async remove(name: string, opts: { force?: boolean } = {}): Promise<void> {
    const v = this.volumes.get(name);
    if (!v) {
      if (opts.force) return;
      throw new NotFound(`get ${name}: no such volume`);
    }
    const users = this.users(name);
    if (users.length) throw new Conflict(`remove ${name}: volume is in use - [${users.join(', ')}]`);
    this.volumes.delete(name);
    try {
      await this.driver.remove(name);
    } catch (err) {
      this.volumes.set(name, v);
      throw err;
    }
    this.o.events.publish('volume', 'destroy', name, { driver: v.Driver });
  }

  async prune(filters: Map<string, string[]>, apiVersion: string): Promise<{ VolumesDeleted: string[]; SpaceReclaimed: number }> {
    const match = pruneFilter(filters, apiVersion, (s) => ANONYMOUS_LABEL in s.labels);
    const deleted: string[] = [];
    let space = 0;
    for (const v of [...this.volumes.values()]) {
      if (!match(this.subject(v))) continue;
      const size = await this.driver.size(v.Name).catch(() => 0);
      try {
        await this.remove(v.Name);
      } catch (err) {
        this.o.log.warn(`volume prune: ${(err as Error).message}`);
        continue;
      }
      deleted.push(v.Name);
      space += size;
    }
    return { VolumesDeleted: deleted, SpaceReclaimed: space };
  }

  /** Sizes and reference counts for `system df`. */
  async usage(name: string): Promise<VolumeUsage> {
    return { Size: await this.driver.size(name).catch(() => -1), RefCount: this.users(name).length };
  }

  private subject(v: Volume): FilterSubject {
    return { name: v.Name, driver: v.Driver, labels: v.Labels ?? {}, inUse: this.users(v.Name).length > 0 };
  }
}

function newVolumeName(): string {
  return randomBytes(32).toString('hex');
}

/** Go's time.RFC3339 as dockerd prints CreatedAt (seconds, zone offset). */
function rfc3339(d: Date): string {
  const off = -d.getTimezoneOffset();
  const local = new Date(d.getTime() + off * 60_000).toISOString().slice(0, 19);
  if (off === 0) return local + 'Z';
  const sign = off > 0 ? '+' : '-';
  const a = Math.abs(off);
  return `${local}${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

