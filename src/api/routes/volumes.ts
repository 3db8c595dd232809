// /volumes/* routes: list, create, inspect, remove, prune.
import type { Router } from '../router.js';
import { qBool, qFilters, readJson, sendJson, sendStatus } from '../http.js';
import { InvalidParameter } from '../../lib/errors.js';
import type { VolumeService, VolumeCreateRequest } from '../../volumes/service.js';
import { toApiVolume } from '../types/volume.js';

export function volumeRoutes(r: Router, volumes: VolumeService): void {
  const shape = (v: ReturnType<VolumeService['get']>) => toApiVolume(v, volumes.mountpoint(v.Name));

  r.get('/volumes', (ctx) => {
    const list = volumes.list(qFilters(ctx.query));
    sendJson(ctx, 200, { Volumes: list.map(shape), Warnings: null });
  });

  r.post('/volumes/create', async (ctx) => {
    const body = await readJson<VolumeCreateRequest>(ctx, true);
    if (typeof body !== 'object' || body === null) throw new InvalidParameter('invalid volume create request');
    sendJson(ctx, 201, shape(await volumes.create(body)));
  });

  r.post('/volumes/prune', async (ctx) => {
    sendJson(ctx, 200, await volumes.prune(qFilters(ctx.query), ctx.version));
  });

  r.get('/volumes/:name', (ctx) => {
    sendJson(ctx, 200, shape(volumes.get(ctx.params.name!)));
  });

  r.delete('/volumes/:name', async (ctx) => {
    await volumes.remove(ctx.params.name!, { force: qBool(ctx.query, 'force') });
    sendStatus(ctx, 204);
  });
}
