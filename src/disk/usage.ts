// GET /system/df: what images, containers, volumes and the build cache hold on disk, in the
// shape of moby's SystemDataUsageResponse. Image layer sizes are read from the layer store (a
// committed layer's size is measured once and never changes); containers' RW layers and
// volumes are walked asynchronously, a few at a time, and concurrent requests share one walk.
import { InvalidParameter } from '../lib/errors.js';
import type { ImageService } from '../images/service.js';
import type { Image } from '../images/store.js';
import { filterImages } from '../images/filters.js';
import { chainIdsOf, type LayerStore } from '../layers/store.js';
import type { ContainerService } from '../containers/service.js';
import type { VolumeService } from '../volumes/service.js';
import { toSummary } from '../api/types/container.js';
import { toApiVolume } from '../api/types/volume.js';
import type { BuildCacheUsage, ApiBuildCacheRecord } from './build-cache.js';

export const DF_TYPES = ['container', 'image', 'volume', 'build-cache'] as const;
export type DfType = (typeof DF_TYPES)[number];

export interface DiskUsage {
  LayersSize: number;
  Images: Record<string, unknown>[] | null;
  Containers: Record<string, unknown>[] | null;
  Volumes: Record<string, unknown>[] | null;
  BuildCache: ApiBuildCacheRecord[] | null;
}

/** Walks at once: enough to overlap I/O, few enough to leave the event loop to other requests. */
const PARALLEL_WALKS = 4;

export function parseDfTypes(values: string[]): Set<DfType> {
  if (!values.length) return new Set(DF_TYPES);
  for (const v of values) if (!(DF_TYPES as readonly string[]).includes(v)) throw new InvalidParameter(`unknown object type: ${v}`);
  return new Set(values as DfType[]);
}

export class DiskUsageService {
  private inFlight = new Map<string, Promise<DiskUsage>>();

  constructor(
    private readonly d: {
      images: ImageService;
      layers: LayerStore;
      containers: ContainerService;
      volumes: VolumeService;
      buildCache: BuildCacheUsage;
      /** Bytes kept beside the layers for them (pulled layers' compressed blobs, kept for push). */
      keptLayerBytes?: () => Promise<number>;
    },
  ) {}

  usage(types: Set<DfType>): Promise<DiskUsage> {
    const key = [...types].sort().join(',');
    let p = this.inFlight.get(key);
    if (!p) {
      p = this.compute(types).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, p);
    }
    return p;
  }

  private async compute(types: Set<DfType>): Promise<DiskUsage> {
    const [images, containers, volumes, buildCache, kept] = await Promise.all([
      types.has('image') ? this.images() : undefined,
      types.has('container') ? this.containers() : undefined,
      types.has('volume') ? this.volumes() : undefined,
      types.has('build-cache') ? this.d.buildCache.records() : undefined,
      types.has('image') && this.d.keptLayerBytes ? this.d.keptLayerBytes().catch(() => 0) : 0,
    ]);
    return {
      LayersSize: images ? this.d.layers.all().reduce((n, l) => n + l.size, kept) : 0,
      Images: images ?? null,
      Containers: containers ?? null,
      Volumes: volumes ?? null,
      BuildCache: buildCache ?? null,
    };
  }

  /** Images as `docker images` lists them, with Docker's SharedSize and container counts. */
  private async images(): Promise<Record<string, unknown>[]> {
    const store = this.d.images.store;
    const list = filterImages(store, false, new Map());
    const chains = new Map<string, string[]>();
    const refs = new Map<string, number>();
    for (const img of list) {
      const chain = chainIdsOf(img.config.rootfs.diff_ids);
      chains.set(img.id, chain);
      for (const c of chain) refs.set(c, (refs.get(c) ?? 0) + 1);
    }
    const users = new Map<string, number>();
    for (const c of this.d.containers.list()) users.set(c.Image, (users.get(c.Image) ?? 0) + 1);
    const layerSize = (c: string) => (this.d.layers.has(c) ? this.d.layers.get(c).size : 0);
    return list.map((img: Image) => {
      const chain = chains.get(img.id)!;
      return {
        Containers: users.get(img.id) ?? 0,
        Created: Math.floor((Date.parse(img.config.created ?? '') || 0) / 1000),
        Id: img.id,
        Labels: img.config.config?.Labels ?? {},
        ParentId: img.parent ?? '',
        RepoDigests: store.repoDigests(img.id),
        RepoTags: store.repoTags(img.id),
        SharedSize: chain.filter((c) => (refs.get(c) ?? 0) > 1).reduce((n, c) => n + layerSize(c), 0),
        Size: chain.reduce((n, c) => n + layerSize(c), 0),
      };
    });
  }

  private async containers(): Promise<Record<string, unknown>[]> {
    const list = this.d.containers.list();
    return inBatches(list, PARALLEL_WALKS, async (c) => {
      const sizeRw = await this.d.layers.sizeRW(c.Id).catch(() => 0);
      const lower = (() => {
        try {
          return this.d.layers.parentChainOf(c.Id).reduce((n, l) => n + l.size, 0);
        } catch {
          return 0;
        }
      })();
      return toSummary(c, { sizeRw, sizeRootFs: sizeRw + lower, network: this.d.containers.network });
    });
  }

  private async volumes(): Promise<Record<string, unknown>[]> {
    const vols = this.d.volumes.list();
    return inBatches(vols, PARALLEL_WALKS, async (v) => toApiVolume(v, this.d.volumes.mountpoint(v.Name), await this.d.volumes.usage(v.Name)));
  }
}

async function inBatches<T, R>(items: T[], width: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}
