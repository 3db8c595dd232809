// Container records in memory and on disk (containers/<id>/config.v2.json), with Docker's
// lookup rules: full ID, then name, then a unique ID prefix. Records made under another storage
// driver stay on disk but out of sight until a daemon runs that driver again, as dockerd does.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { NotFound, Conflict, InvalidParameter } from '../lib/errors.js';
import { writeJsonAtomic, readJsonIfExists } from '../lib/atomic-file.js';
import type { ContainerRecord } from './model.js';

export class ContainerStore {
  private byId = new Map<string, ContainerRecord>();
  private byName = new Map<string, string>();
  /** Ids of containers of other storage drivers → that driver (their runtime state is kept). */
  private otherDrivers = new Map<string, string>();
  readonly root: string;

  /** `driver`: the daemon's storage driver; records naming another one are hidden. */
  constructor(
    dataRoot: string,
    private readonly driver?: string,
  ) {
    this.root = join(dataRoot, 'containers');
  }

  dir(id: string): string {
    return join(this.root, id);
  }

  async init(): Promise<void> {
    await fs.mkdir(this.root, { recursive: true, mode: 0o710 });
    for (const id of await fs.readdir(this.root)) {
      const rec = await readJsonIfExists<ContainerRecord>(join(this.root, id, 'config.v2.json')).catch(() => undefined);
      if (!rec) {
        // created but never finished writing: a crash mid-create
        await fs.rm(join(this.root, id), { recursive: true, force: true });
        continue;
      }
      // A record without Driver predates drivers being chosen: it belongs to any of them.
      if (this.driver && rec.Driver && rec.Driver !== this.driver) {
        this.otherDrivers.set(rec.Id, rec.Driver);
        continue;
      }
      this.byId.set(rec.Id, rec);
      this.byName.set(rec.Name, rec.Id);
    }
  }

  /** Containers left hidden because they were made under another storage driver. */
  hiddenByDriver(): Map<string, string> {
    return new Map(this.otherDrivers);
  }

  /** Whether `id` is a container of this data root at all, visible or hidden by its driver. */
  owns(id: string): boolean {
    return this.byId.has(id) || this.otherDrivers.has(id);
  }

  all(): ContainerRecord[] {
    return [...this.byId.values()];
  }

  get(ref: string): ContainerRecord {
    const c = this.find(ref);
    if (!c) throw new NotFound(`No such container: ${ref}`);
    return c;
  }

  find(ref: string): ContainerRecord | undefined {
    if (!ref) return undefined;
    const exact = this.byId.get(ref);
    if (exact) return exact;
    const byName = this.byName.get(ref.startsWith('/') ? ref : '/' + ref);
    if (byName) return this.byId.get(byName);
    if (!/^[0-9a-f]+$/.test(ref)) return undefined;
    const matches = [...this.byId.keys()].filter((id) => id.startsWith(ref));
    if (matches.length > 1) throw new InvalidParameter(`multiple IDs found with provided prefix: ${ref}`);
    return matches.length ? this.byId.get(matches[0]!) : undefined;
  }

  nameOwner(name: string): string | undefined {
    return this.byName.get(name);
  }

  reserveName(name: string, id: string): void {
    const owner = this.byName.get(name);
    if (owner && owner !== id) {
      throw new Conflict(
        `Conflict. The container name "${name}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
    this.byName.set(name, id);
  }

  releaseName(name: string): void {
    this.byName.delete(name);
  }

  /** A new container's record is flushed to disk before create answers. */
  async add(rec: ContainerRecord): Promise<void> {
    await fs.mkdir(this.dir(rec.Id), { recursive: true, mode: 0o710 });
    this.byId.set(rec.Id, rec);
    await writeJsonAtomic(join(this.dir(rec.Id), 'config.v2.json'), rec);
  }

  /**
   * Later state changes are atomic but not flushed: after a crash, restore reconciles the state
   * with the runtime and conmon's exit files, so a lost update costs nothing (and saves two
   * fsyncs on every start, exit and removal).
   */
  async save(rec: ContainerRecord): Promise<void> {
    await writeJsonAtomic(join(this.dir(rec.Id), 'config.v2.json'), rec, { durable: false });
  }

  async remove(rec: ContainerRecord): Promise<void> {
    this.byId.delete(rec.Id);
    if (this.byName.get(rec.Name) === rec.Id) this.byName.delete(rec.Name);
    await fs.rm(this.dir(rec.Id), { recursive: true, force: true });
  }
}
