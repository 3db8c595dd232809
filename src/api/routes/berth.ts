// Berth's own endpoints, outside Docker's API: POST /berth/bootstrap creates busybox:latest
// (or registry:2 with ?image=registry).
import { join } from 'node:path';
import type { Router } from '../router.js';
import { sendJson } from '../http.js';
import type { LayerStore } from '../../layers/store.js';
import type { ImageService } from '../../images/service.js';
import { bootstrapBusybox } from '../../images/bootstrap.js';
import { bootstrapRegistry } from '../../images/registry-image.js';

export function berthRoutes(r: Router, d: { dataRoot: string; layers: LayerStore; images: ImageService }): void {
  r.post('/berth/bootstrap', async (ctx) => {
    if (ctx.query.get('image') === 'registry') {
      const img = await bootstrapRegistry(join(d.dataRoot, 'tmp'), d.layers, d.images, ctx.query.get('tag') || 'registry:2');
      return sendJson(ctx, 200, { Id: img.id, RepoTags: d.images.store.repoTags(img.id) });
    }
    const tag = ctx.query.get('tag') || 'busybox:latest';
    const img = await bootstrapBusybox(join(d.dataRoot, 'tmp'), d.layers, d.images, tag);
    sendJson(ctx, 200, { Id: img.id, RepoTags: d.images.store.repoTags(img.id) });
  });
}
