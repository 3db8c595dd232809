// The legacy builder's cache as `system df` and `builder prune` see it: one record per cache
// entry of src/build/cache.ts whose image still exists, sized by the layer its step added.
// A record is Shared when its image is part of a referenced (tagged) image; only unshared,
// unused records hold space that pruning frees. See docs/build-cache.md.
import { statfs } from 'node:fs/promises';
import { InvalidParameter } from '../lib/errors.js';
import type { BuildCache, CacheRecordEntry } from '../build/cache.js';
import type { ImageService, ImageUsers } from '../images/service.js';
import type { Image } from '../images/store.js';
import { chainIdOf, type LayerStore } from '../layers/store.js';
import { boolFilter, checkFilterKeys, matchPruneLabels, parseTimestamp, type Filters } from './prune-filters.js';

/** moby api/swagger.yaml BuildCache. */
export interface ApiBuildCacheRecord {
  ID: string;
  Parents: string[] | null;
  Type: string;
  Description: string;
  InUse: boolean;
  Shared: boolean;
  Size: number;
  CreatedAt: string;
  LastUsedAt: string | null;
  UsageCount: number;
}

export interface BuildPruneOptions {
  all: boolean;
  filters: Filters;
  /** keep-storage / reserved-space: prune down to this many bytes of cache. */
  reservedSpace?: number;
  maxUsedSpace?: number;
  /** Bytes that must be free on the data root's filesystem afterwards. */
  minFreeSpace?: number;
}

interface Row {
  api: ApiBuildCacheRecord;
  entry: CacheRecordEntry;
  image: Image;
}

const PRUNE_KEYS = ['until', 'unused-for', 'id', 'parent', 'type', 'description', 'inuse', 'shared', 'private', 'label', 'label!'];

export class BuildCacheUsage {
  constructor(
    private readonly d: {
      cache: BuildCache;
      images: ImageService;
      layers: LayerStore;
      /** Images containers are created from. */
      containerImages: () => string[];
      dataRoot: string;
    },
  ) {}

  async records(): Promise<ApiBuildCacheRecord[]> {
    return (await this.rows()).rows.map((r) => r.api);
  }

  private async rows(): Promise<{ rows: Row[]; stale: CacheRecordEntry[] }> {
    const store = this.d.images.store;
    const entries = await this.d.cache.entries();
    const keyOf = new Map<string, string>();
    for (const e of entries) if (store.byId(e.imageId)) keyOf.set(e.imageId, e.key);
    const ancestry = (ids: Iterable<string>): Set<string> => {
      const out = new Set<string>();
      for (const id of ids) {
        for (let img = store.byId(id); img && !out.has(img.id); img = img.parent ? store.byId(img.parent) : undefined) out.add(img.id);
      }
      return out;
    };
    const shared = ancestry(store.all().filter((i) => store.referencesOf(i.id).length > 0).map((i) => i.id));
    const inUse = ancestry(this.d.containerImages());
    const rows: Row[] = [];
    const stale: CacheRecordEntry[] = [];
    for (const e of entries) {
      const image = store.byId(e.imageId);
      if (!image) {
        stale.push(e);
        continue;
      }
      const parentKey = image.parent ? keyOf.get(image.parent) : undefined;
      const history = image.config.history ?? [];
      rows.push({
        entry: e,
        image,
        api: {
          ID: e.key,
          Parents: parentKey ? [parentKey] : null,
          Type: 'regular',
          Description: history[history.length - 1]?.created_by ?? '',
          InUse: inUse.has(image.id),
          Shared: shared.has(image.id),
          Size: this.ownLayerSize(image),
          CreatedAt: image.config.created ?? new Date(e.lastUsed).toISOString(),
          LastUsedAt: new Date(e.lastUsed).toISOString(),
          UsageCount: e.uses,
        },
      });
    }
    return { rows, stale };
  }

  /** Bytes of the layers a step added on top of its parent image (0 for metadata steps). */
  private ownLayerSize(image: Image): number {
    const parent = image.parent ? this.d.images.store.byId(image.parent) : undefined;
    const ids = image.config.rootfs.diff_ids;
    const from = parent?.config.rootfs.diff_ids.length ?? 0;
    let size = 0;
    for (let n = from + 1; n <= ids.length; n++) {
      const chain = chainIdOf(ids.slice(0, n))!;
      if (this.d.layers.has(chain)) size += this.d.layers.get(chain).size;
    }
    return size;
  }

  /**
   * POST /build/prune. Without `all` only records no tagged image shares go (their images and
   * layers with them); `all` also drops the records of shared images (the images stay: a tag
   * holds them). Records in use by a container never go. Least recently used go first, until the
   * storage limits given are met.
   */
  async prune(o: BuildPruneOptions, users: ImageUsers): Promise<{ CachesDeleted: string[]; SpaceReclaimed: number }> {
    const match = pruneMatcher(o.filters);
    const { rows, stale } = await this.rows();
    for (const e of stale) await this.d.cache.remove(e.key);
    const layerSizes = new Map(this.d.layers.all().map((l) => [l.chainId, l.size]));
    let total = rows.filter((r) => !r.api.Shared).reduce((n, r) => n + r.api.Size, 0);
    const candidates = rows
      .filter((r) => !r.api.InUse && (o.all || !r.api.Shared) && match(r))
      .sort((a, b) => a.entry.lastUsed - b.entry.lastUsed);
    const hasLimit = o.reservedSpace !== undefined || o.maxUsedSpace !== undefined || o.minFreeSpace !== undefined;
    const satisfied = async (): Promise<boolean> => {
      if (!hasLimit) return false;
      if (o.reservedSpace !== undefined && total <= o.reservedSpace) return true;
      if (o.maxUsedSpace !== undefined && total > o.maxUsedSpace) return false;
      if (o.minFreeSpace !== undefined && (await freeBytes(this.d.dataRoot)) < o.minFreeSpace) return false;
      return o.maxUsedSpace !== undefined || o.minFreeSpace !== undefined;
    };
    const deleted: string[] = [];
    let space = 0;
    const store = this.d.images.store;
    const pending = new Set(candidates);
    while (pending.size && !(await satisfied())) {
      // Children before parents: an image with children cannot go yet.
      const next = [...pending].find((r) => r.api.Shared || !store.byId(r.image.id) || store.children(r.image.id).length === 0);
      if (!next) break;
      pending.delete(next);
      if (!next.api.Shared && store.byId(next.image.id)) {
        try {
          const items = await this.d.images.remove(next.image.id, { force: false, noprune: true }, users);
          for (const d of items) if (d.Deleted && layerSizes.has(d.Deleted) && !this.d.layers.has(d.Deleted)) space += layerSizes.get(d.Deleted)!;
        } catch {
          continue; // a container or a new child took it meanwhile: it stays, and so does its record
        }
        total -= next.api.Size;
      }
      await this.d.cache.remove(next.entry.key);
      deleted.push(next.entry.key);
    }
    return { CachesDeleted: deleted, SpaceReclaimed: space };
  }
}

/** BuildKit's prune filters as dockerd passes them on, plus label/label! on the step's image. */
export function pruneMatcher(filters: Filters, now = Date.now()): (r: { api: ApiBuildCacheRecord; entry: CacheRecordEntry; image: Image }) => boolean {
  checkFilterKeys(filters, PRUNE_KEYS);
  const until = filters.get('until') ?? [];
  const unusedFor = filters.get('unused-for') ?? [];
  if (until.length && unusedFor.length) throw new InvalidParameter('conflicting filters: "until" and "unused-for"');
  const key = unusedFor.length ? 'unused-for' : 'until';
  const untilValues = [...until, ...unusedFor];
  if (untilValues.length > 1) throw new InvalidParameter('filters expect only one value');
  const untilMs = untilValues.length ? parseTimestamp(untilValues[0]!, now, key) : undefined;
  const one = (k: string): string | undefined => {
    const v = filters.get(k);
    if (v && v.length > 1) throw new InvalidParameter('filters expect only one value');
    return v?.[0];
  };
  const id = one('id');
  const parent = one('parent');
  const type = one('type');
  const description = one('description');
  const flag = (k: string) => (filters.has(k) ? boolFilter(new Map([[k, filters.get(k)!.length ? filters.get(k)! : ['true']]]), k, true) : undefined);
  const inuse = flag('inuse');
  const sharedF = flag('shared');
  const priv = flag('private');
  return (r) =>
    (untilMs === undefined || r.entry.lastUsed <= untilMs) &&
    (id === undefined || r.api.ID.includes(id)) &&
    (parent === undefined || (r.api.Parents ?? []).includes(parent)) &&
    (type === undefined || r.api.Type === type) &&
    (description === undefined || r.api.Description === description) &&
    (inuse === undefined || r.api.InUse === inuse) &&
    (sharedF === undefined || r.api.Shared === sharedF) &&
    (priv === undefined || !r.api.Shared === priv) &&
    matchPruneLabels(filters, r.image.config.config?.Labels);
}

async function freeBytes(path: string): Promise<number> {
  const s = await statfs(path);
  return s.bavail * s.bsize;
}
