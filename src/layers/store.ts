// The layer store: read-only image layers identified by chainID (Docker's layerdb layout under
// image/<driver>/layerdb) and one read-write layer per container (layerdb/mounts/<id>), kept by
// a storage driver (drivers/). Layers are applied from tar streams whose diffID is hashed while
// they stream.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { NotFound, InvalidParameter, SystemError, BerthError, errorMessage } from '../lib/errors.js';
import { writeFileAtomic } from '../lib/atomic-file.js';
import { applyLayerInWorker, type LocalBlob, type RemoteBlob } from './archive/apply-in-worker.js';
import type { Change } from './archive/diff.js';
import type { StorageDriver } from './drivers/driver.js';
import { selectDriver } from './drivers/select.js';
import { layerTarStream, tarSplitSize, tarSplitPathIn } from './tar-split.js';
import type { IdMapping } from '../userns/id-mapping.js';
import { chownToRoot, remapContainerLayers } from '../userns/ownership.js';
import { openToRemappedRoot } from '../userns/remap-root.js';

export interface Layer {
  chainId: string;
  diffId: string;
  parent?: string;
  cacheId: string;
  size: number;
}

export interface RWLayer {
  containerId: string;
  mountId: string;
  parent?: string;
}

export function chainIdOf(diffIds: string[]): string | undefined {
  let chain: string | undefined;
  for (const d of diffIds) {
    chain = chain === undefined ? d : 'sha256:' + createHash('sha256').update(`${chain} ${d}`).digest('hex');
  }
  return chain;
}

/** The chainID of every prefix of `diffIds`: each layer of an image's rootfs, bottom first. */
export function chainIdsOf(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) out.push(out.length === 0 ? d : chainIdOf([out[out.length - 1]!, d])!);
  return out;
}

function newCacheId(): string {
  return randomBytes(32).toString('hex');
}

const hex = (digest: string) => digest.replace(/^sha256:/, '');

export class LayerStore {
  private layers = new Map<string, Layer>();
  private rw = new Map<string, RWLayer>();
  readonly driver: StorageDriver;
  /** image/<driver>: image metadata of this driver, kept apart from other drivers' as Docker does. */
  readonly imageRoot: string;
  private readonly db: string;
  /** userns-remap: files are owned by the mapped ids (set by the daemon before any layer is made). */
  idMap?: IdMapping;

  private readonly removedHooks: (() => Promise<void>)[] = [];

  /** `driver`: a driver name (overlay2 when omitted, with `storageOpts`) or a driver instance. */
  constructor(dataRoot: string, driver: string | StorageDriver = 'overlay2', storageOpts: string[] = []) {
    this.driver = typeof driver === 'string' ? selectDriver(dataRoot, driver, storageOpts) : driver;
    this.imageRoot = join(dataRoot, 'image', this.driver.name);
    this.db = join(this.imageRoot, 'layerdb');
  }

  async init(): Promise<void> {
    await this.driver.init();
    // The remapped root walks to its rootfs through these (the runtime mounts inside the userns).
    if (this.idMap) await openToRemappedRoot(this.driver.containerRootParents(), this.idMap);
    await fs.mkdir(join(this.db, 'sha256'), { recursive: true });
    await fs.mkdir(join(this.db, 'mounts'), { recursive: true });
    await fs.mkdir(join(this.db, 'tmp'), { recursive: true });
    for (const h of await fs.readdir(join(this.db, 'sha256'))) {
      const d = join(this.db, 'sha256', h);
      const read = (f: string) => fs.readFile(join(d, f), 'utf8').then((s) => s.trim(), () => '');
      const [diffId, parent, cacheId, size] = await Promise.all([read('diff'), read('parent'), read('cache-id'), read('size')]);
      if (!diffId || !cacheId) continue;
      this.layers.set('sha256:' + h, { chainId: 'sha256:' + h, diffId, parent: parent || undefined, cacheId, size: Number(size) || 0 });
    }
    for (const id of await fs.readdir(join(this.db, 'mounts'))) {
      const d = join(this.db, 'mounts', id);
      const mountId = await fs.readFile(join(d, 'mount-id'), 'utf8').catch(() => '');
      if (!mountId) continue;
      const parent = await fs.readFile(join(d, 'parent'), 'utf8').catch(() => '');
      this.rw.set(id, { containerId: id, mountId: mountId.trim(), parent: parent.trim() || undefined });
    }
    await this.removeOrphans();
  }

  /** At daemon stop: the driver lets go of what it holds on the host. */
  async close(): Promise<void> {
    await this.driver.close?.();
  }

  /** Driver directories with no layer or container pointing at them are leftovers of a crash. */
  private async removeOrphans(): Promise<void> {
    const used = new Set<string>([...this.layers.values()].map((l) => l.cacheId));
    for (const r of this.rw.values()) {
      used.add(r.mountId);
      used.add(`${r.mountId}-init`);
    }
    for (const name of await this.driver.ids()) {
      if (used.has(name)) continue;
      await this.driver.remove(name);
    }
    await fs.rm(join(this.db, 'tmp'), { recursive: true, force: true });
    await fs.mkdir(join(this.db, 'tmp'), { recursive: true });
  }

  get(chainId: string): Layer {
    const l = this.layers.get(chainId);
    if (!l) throw new NotFound(`layer does not exist: ${chainId}`);
    return l;
  }

  has(chainId: string): boolean {
    return this.layers.has(chainId);
  }

  all(): Layer[] {
    return [...this.layers.values()];
  }

  /** The layers of a chain, base first. */
  chain(chainId: string | undefined): Layer[] {
    const out: Layer[] = [];
    for (let c = chainId; c; c = this.get(c).parent) out.unshift(this.get(c));
    return out;
  }

  /**
   * Applies a (possibly compressed) layer tar on top of `parent` and registers it, with the
   * tar-split that gives its tar back later. With `expectedDiffId`, a tar hashing otherwise fails.
   * The input (a stream, a file, or a registry blob a worker downloads) is read to its end;
   * with `keepInputAt`, its bytes are also written to that file.
   * Its chunks are handed over: one of 64 KiB or more that owns its memory moves to the apply
   * worker (its ArrayBuffer is detached here), so nothing else may hold on to them.
   */
  async register(input: Readable | RemoteBlob | LocalBlob, parent?: string, opts: { expectedDiffId?: string; keepInputAt?: string } = {}): Promise<Layer> {
    const parentLayer = parent ? this.get(parent) : undefined;
    const cacheId = newCacheId();
    await this.driver.create(cacheId, parentLayer?.cacheId);
    const tarSplitPath = join(this.db, 'tmp', `${cacheId}-tar-split.json.gz`);
    let diffId: string;
    try {
      // On a worker thread: the bytes of a big layer do not hold up the daemon's event loop.
      ({ diffId } = await applyLayerInWorker(input, this.driver.applyDir(cacheId), { whiteouts: this.driver.applyMode, tarSplitPath, expectedDiffId: opts.expectedDiffId, keepInputAt: opts.keepInputAt, idMap: this.idMap }));
    } catch (err) {
      await this.driver.remove(cacheId);
      // A bad tar is the sender's fault (400); Berth's own failures keep their kind.
      throw err instanceof BerthError ? err : new InvalidParameter(errorMessage(err));
    }
    const chainId = parent ? chainIdOf([parent, diffId])! : diffId;
    const existing = this.layers.get(chainId);
    if (existing) {
      await fs.rm(tarSplitPath, { force: true });
      await this.driver.remove(cacheId);
      return existing;
    }
    const layer: Layer = { chainId, diffId, parent, cacheId, size: await this.driver.size(cacheId, parentLayer?.cacheId) };
    await this.persist(layer, tarSplitPath);
    this.layers.set(chainId, layer);
    return layer;
  }

  private async persist(l: Layer, tarSplitFile?: string): Promise<void> {
    const tmp = join(this.db, 'tmp', randomBytes(8).toString('hex'));
    await fs.mkdir(tmp);
    if (tarSplitFile) await fs.rename(tarSplitFile, tarSplitPathIn(tmp));
    await fs.writeFile(join(tmp, 'diff'), l.diffId);
    await fs.writeFile(join(tmp, 'cache-id'), l.cacheId);
    await fs.writeFile(join(tmp, 'size'), String(l.size));
    if (l.parent) await fs.writeFile(join(tmp, 'parent'), l.parent);
    await fs.rename(tmp, join(this.db, 'sha256', hex(l.chainId)));
  }

  /**
   * The layer's tar exactly as it was registered (same diffID), replayed from its tar-split. A
   * layer registered before tar-split existed is re-packed from its diff directory, and refused
   * unless that happens to hash to its diffID.
   */
  layerTar(chainId: string): Readable {
    const layer = this.get(chainId);
    const tarSplit = tarSplitPathIn(join(this.db, 'sha256', hex(chainId)));
    // Bodies are read back by name: in a full-copy driver the layer's own files sit at those names.
    const dir = this.driver.applyDir(layer.cacheId);
    const repack = () => this.repack(layer);
    async function* generate(): AsyncGenerator<Buffer> {
      if (await exists(tarSplit)) {
        yield* layerTarStream(dir, tarSplit) as AsyncIterable<Buffer>;
        return;
      }
      await repackMatches(repack, layer);
      yield* repack() as AsyncIterable<Buffer>;
    }
    return Readable.from(generate(), { objectMode: false });
  }

  /** The byte size of what layerTar gives, known before streaming it. */
  async layerTarSize(chainId: string): Promise<number> {
    const layer = this.get(chainId);
    const tarSplit = tarSplitPathIn(join(this.db, 'sha256', hex(chainId)));
    if (await exists(tarSplit)) return tarSplitSize(tarSplit);
    return repackMatches(() => this.repack(layer), layer);
  }

  private repack(layer: Layer): Readable {
    const parent = layer.parent ? this.get(layer.parent).cacheId : undefined;
    return this.driver.diff(layer.cacheId, parent);
  }

  /** `fn` runs after layers were removed (by an image's removal or its last container's). */
  onLayersRemoved(fn: () => Promise<void>): void {
    this.removedHooks.push(fn);
  }

  /** Removes a layer and then each parent no longer used by `inUse`. */
  async release(chainId: string, inUse: (chainId: string) => boolean): Promise<string[]> {
    const removed: string[] = [];
    for (let c: string | undefined = chainId; c && this.layers.has(c); ) {
      const layer: Layer = this.get(c);
      const hasChild = [...this.layers.values()].some((l) => l.parent === c);
      const hasContainer = [...this.rw.values()].some((r) => r.parent === c);
      if (hasChild || hasContainer || inUse(c)) break;
      await fs.rm(join(this.db, 'sha256', hex(c)), { recursive: true, force: true });
      await this.driver.remove(layer.cacheId);
      this.layers.delete(c);
      removed.push(c);
      c = layer.parent;
    }
    if (removed.length) for (const fn of this.removedHooks) await fn().catch(() => undefined);
    return removed;
  }

  // ---- read-write layers of containers ----

  /** Refuses `--storage-opt` the driver cannot honour, before anything is created. */
  validateStorageOpt(storageOpt: Record<string, string> | null | undefined): void {
    if (storageOpt && Object.keys(storageOpt).length) this.driver.validateStorageOpt(storageOpt);
  }

  async createRW(containerId: string, parent?: string, storageOpt?: Record<string, string> | null): Promise<RWLayer> {
    this.validateStorageOpt(storageOpt);
    const mountId = newCacheId();
    const parentLayer = parent ? this.get(parent) : undefined;
    // As Docker does, an "-init" layer holds the mountpoints every container gets, so they never
    // show up in `docker diff` or in a committed image.
    const initId = `${mountId}-init`;
    await this.driver.create(initId, parentLayer?.cacheId);
    try {
      const made = await writeInitLayer(this.driver.applyDir(initId));
      // A full-copy driver's init layer already holds the image with shifted owners: only what
      // the init layer added is handed to the remapped root (shifting the copy would do it twice).
      if (this.idMap && this.driver.applyMode === 'naive') await chownToRoot(made, this.idMap);
      await this.driver.create(mountId, initId, { storageOpt: storageOpt ?? {} });
      if (this.idMap && this.driver.applyMode === 'overlay') await remapContainerLayers(this.driver.applyDir(initId), this.driver.applyDir(mountId), this.idMap);
      else if (this.idMap) await chownToRoot([this.driver.applyDir(mountId)], this.idMap);
    } catch (err) {
      await this.driver.remove(mountId).catch(() => undefined);
      await this.driver.remove(initId).catch(() => undefined);
      throw err;
    }
    const d = join(this.db, 'mounts', containerId);
    await fs.mkdir(d, { recursive: true });
    if (parent) await fs.writeFile(join(d, 'parent'), parent);
    await writeFileAtomic(join(d, 'mount-id'), mountId);
    const rw = { containerId, mountId, parent };
    this.rw.set(containerId, rw);
    return rw;
  }

  rwContainerIds(): string[] {
    return [...this.rw.keys()];
  }

  getRW(containerId: string): RWLayer {
    const r = this.rw.get(containerId);
    if (!r) throw new NotFound(`no read-write layer for container ${containerId}`);
    return r;
  }

  mountRW(containerId: string): Promise<string> {
    return this.driver.mount(this.getRW(containerId).mountId);
  }

  async unmountRW(containerId: string): Promise<void> {
    const r = this.rw.get(containerId);
    if (r) await this.driver.unmount(r.mountId);
  }

  /**
   * Removes a container's layers. With `inUse`, the image layers under it that nothing else holds
   * go too: an image removed while this container still existed (`docker run --rm x; docker rmi x`
   * can overtake the reclaiming of the container's layers) left them to the container.
   */
  async removeRW(containerId: string, inUse?: (chainId: string) => boolean): Promise<void> {
    const r = this.rw.get(containerId);
    if (!r) return;
    await this.driver.remove(r.mountId);
    await this.driver.remove(`${r.mountId}-init`);
    await fs.rm(join(this.db, 'mounts', containerId), { recursive: true, force: true });
    this.rw.delete(containerId);
    if (r.parent && inUse) await this.release(r.parent, inUse);
  }

  /** The container's changes as a layer tar (commit). */
  diffRW(containerId: string): Readable {
    const r = this.getRW(containerId);
    return this.driver.diff(r.mountId, `${r.mountId}-init`);
  }

  async changesRW(containerId: string): Promise<Change[]> {
    const r = this.getRW(containerId);
    return this.driver.changes(r.mountId, `${r.mountId}-init`);
  }

  /** GraphDriver.Data of `docker inspect` for a container (null where the driver has none). */
  containerGraphData(containerId: string): Promise<Record<string, string> | null> {
    return this.driver.metadata(this.getRW(containerId).mountId);
  }

  /** GraphDriver.Data of `docker image inspect` for the image whose top layer is `chainId`. */
  async imageGraphData(chainId: string | undefined): Promise<Record<string, string> | null> {
    if (!chainId) return this.driver.applyMode === 'overlay' ? {} : null;
    return this.driver.metadata(this.get(chainId).cacheId);
  }

  /** `docker info`: Driver and DriverStatus. */
  driverStatus(): { Driver: string; DriverStatus: [string, string][] | null } {
    const status = this.driver.status();
    return { Driver: this.driver.name, DriverStatus: status.length ? status : null };
  }

  /** The layer chain a container's RW layer sits on (for size reporting). */
  parentChainOf(containerId: string): Layer[] {
    const r = this.getRW(containerId);
    return r.parent ? this.chain(r.parent) : [];
  }

  async sizeRW(containerId: string): Promise<number> {
    const r = this.getRW(containerId);
    return this.driver.size(r.mountId, `${r.mountId}-init`);
  }
}

function exists(path: string): Promise<boolean> {
  return fs.access(path).then(
    () => true,
    () => false,
  );
}

/** Hashes a re-pack of the layer; returns its size when it gives the layer's diffID. */
async function repackMatches(repack: () => Readable, layer: Layer): Promise<number> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of repack() as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  const digest = 'sha256:' + hash.digest('hex');
  if (digest !== layer.diffId) {
    throw new SystemError(`layer ${layer.chainId} has no tar-split and its files no longer pack to diffID ${layer.diffId} (got ${digest}): it cannot be exported byte for byte`);
  }
  return size;
}

/** The files and mountpoints Docker's init layer holds. */
/**
 * Made only where missing: on a full-copy driver the image's own /etc/hosts and the like stay as
 * they are, as with Docker's init layer. Returns the paths it made.
 */
async function writeInitLayer(dir: string): Promise<string[]> {
  const made: string[] = [];
  const unlessExists = (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  };
  // Every `docker run` pays for these: issue them together rather than one after another.
  await Promise.all(
    ['dev/pts', 'dev/shm', 'proc', 'sys', 'etc'].map(async (d) => {
      const target = join(dir, d);
      // A recursive mkdir answers with the first directory it made; the rest up to target follow.
      const first = await fs.mkdir(target, { recursive: true, mode: 0o755 });
      for (let p = first; p; p = p === target ? undefined : join(p, target.slice(p.length + 1).split('/')[0]!)) made.push(p);
    }),
  );
  await Promise.all([
    ...['.dockerenv', 'etc/resolv.conf', 'etc/hosts', 'etc/hostname', 'dev/console'].map((f) =>
      fs.writeFile(join(dir, f), '', { mode: 0o755, flag: 'wx' }).then(() => void made.push(join(dir, f)), unlessExists),
    ),
    fs.symlink('/proc/mounts', join(dir, 'etc/mtab')).then(() => void made.push(join(dir, 'etc/mtab')), unlessExists),
  ]);
  return made;
}
