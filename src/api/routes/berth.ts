// Berth's own endpoints, outside Docker's API: POST /berth/bootstrap creates busybox:latest.
import { join } from 'node:path';
import type { Router } from '../router.js';
import { sendJson } from '../http.js';
import type { LayerStore } from '../../layers/store.js';
import type { ImageService } from '../../images/service.js';
import { bootstrapBusybox } from '../../images/bootstrap.js';

export function berthRoutes(r: Router, d: { dataRoot: string; layers: LayerStore; images: ImageService }): void {
  r.post('/berth/bootstrap', async (ctx) => {
    const tag = ctx.query.get('tag') || 'busybox:latest';
    const img = await bootstrapBusybox(join(d.dataRoot, 'tmp'), d.layers, d.images, tag);
    sendJson(ctx, 200, { Id: img.id, RepoTags: d.images.store.repoTags(img.id) });
  });
}
