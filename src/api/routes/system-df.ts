// GET /system/df and POST /build/prune over the disk-usage services (src/disk), with the
// per-API-version shapes dockerd keeps for older clients.
import type { Router } from '../router.js';
import { qBool, qFilters, qInt, sendJson } from '../http.js';
import { compareVersions } from '../server.js';
import { InvalidParameter } from '../../lib/errors.js';
import { BuildCache } from '../../build/cache.js';
import type { ImageService, ImageUsers } from '../../images/service.js';
import type { LayerStore } from '../../layers/store.js';
import type { ContainerService } from '../../containers/service.js';
import type { VolumeService } from '../../volumes/service.js';
import { DiskUsageService, parseDfTypes, DF_TYPES } from '../../disk/usage.js';
import { BuildCacheUsage } from '../../disk/build-cache.js';

export interface DiskUsageDeps {
  dataRoot: string;
  images: ImageService;
  layers: LayerStore;
  containers: ContainerService;
  volumes: VolumeService;
  users: ImageUsers;
  keptLayerBytes?: () => Promise<number>;
}

/** Composition-root hook: builds the services and registers both routes. */
export function registerDiskUsage(r: Router, d: DiskUsageDeps): void {
  const buildCache = new BuildCacheUsage({
    cache: new BuildCache(d.dataRoot),
    images: d.images,
    layers: d.layers,
    containerImages: () => d.containers.list().map((c) => c.Image),
    dataRoot: d.dataRoot,
  });
  const usage = new DiskUsageService({ images: d.images, layers: d.layers, containers: d.containers, volumes: d.volumes, buildCache, keptLayerBytes: d.keptLayerBytes });

  r.get('/system/df', async (ctx) => {
    const old = (v: string) => compareVersions(ctx.version, v) < 0;
    // `type` arrived with API 1.42; older clients always get everything.
    const types = old('1.42') ? new Set(DF_TYPES) : parseDfTypes(ctx.query.getAll('type'));
    const du = await usage.usage(types);
    const out: Record<string, unknown> = { ...du };
    if (old('1.44') && du.Images) out.Images = du.Images.map((i) => ({ ...i, VirtualSize: i.Size }));
    if (old('1.42') && du.BuildCache) {
      out.BuildCache = du.BuildCache.map((b) => ({ ...b, Parent: b.Parents?.[0] ?? '' }));
      out.BuilderSize = du.BuildCache.filter((b) => !b.Shared).reduce((n, b) => n + b.Size, 0);
    }
    sendJson(ctx, 200, out);
  });

  r.post('/build/prune', async (ctx) => {
    const q = ctx.query;
    const bytes = (name: string) => {
      const v = qInt(q, name);
      if (v !== undefined && v < 0) throw new InvalidParameter(`${name} must not be negative: ${v}`);
      return v || undefined;
    };
    const result = await buildCache.prune(
      {
        all: qBool(q, 'all'),
        filters: qFilters(q),
        reservedSpace: bytes('reserved-space') ?? bytes('keep-storage'),
        maxUsedSpace: bytes('max-used-space'),
        minFreeSpace: bytes('min-free-space'),
      },
      d.users,
    );
    sendJson(ctx, 200, result);
  });
}
