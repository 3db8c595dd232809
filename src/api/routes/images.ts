// /images/* routes.
import type { Router } from '../router.js';
import { sendJson, qBool, qFilters } from '../http.js';
import { InvalidParameter, Unavailable, errorMessage } from '../../lib/errors.js';
import type { ImageService, ImageUsers } from '../../images/service.js';
import type { Image } from '../../images/store.js';
import { filterImages, referenceMatches } from '../../images/filters.js';
import { chainIdOf, type LayerStore } from '../../layers/store.js';
import type { DistributionService } from '../../distribution/client/service.js';
import { pullRoute } from './distribution.js';

export function imageRoutes(r: Router, images: ImageService, layers: LayerStore, users: ImageUsers, distribution?: DistributionService): void {
  const pull = distribution ? pullRoute(distribution) : undefined;
  const summary = (img: Image) => ({
    Containers: -1,
    Created: Math.floor((Date.parse(img.config.created ?? '') || 0) / 1000),
    Id: img.id,
    Labels: img.config.config?.Labels ?? {},
    ParentId: img.parent ?? '',
    RepoDigests: images.store.repoDigests(img.id),
    RepoTags: images.store.repoTags(img.id),
    SharedSize: -1,
    Size: images.size(img),
  });

  const inspect = async (img: Image) => {
    const chain = chainIdOf(img.config.rootfs.diff_ids);
    const data = await layers.imageGraphData(chain);
    return {
      Id: img.id,
      RepoTags: images.store.repoTags(img.id),
      RepoDigests: images.store.repoDigests(img.id),
      Parent: img.parent ?? '',
      Comment: img.config.comment ?? '',
      Created: img.config.created ?? '',
      DockerVersion: img.config.docker_version ?? '',
      Author: img.config.author ?? '',
      Config: img.config.config ?? null,
      Architecture: img.config.architecture,
      ...(img.config.variant ? { Variant: img.config.variant } : {}),
      Os: img.config.os,
      Size: images.size(img),
      GraphDriver: { Name: layers.driver.name, Data: data },
      RootFS: { Type: 'layers', Layers: img.config.rootfs.diff_ids },
      Metadata: { LastTagTime: img.lastTagTime ?? '0001-01-01T00:00:00Z' },
    };
  };

  r.post('/images/create', async (ctx) => {
    const q = ctx.query;
    const fromSrc = q.get('fromSrc');
    if (fromSrc === null) {
      if (pull) return pull(ctx);
      throw new Unavailable(`cannot pull ${q.get('fromImage') ?? ''}: this daemon was built without a registry client`);
    }
    if (fromSrc !== '-') throw new InvalidParameter('importing from a URL is not supported; send the tar as the request body (fromSrc=-)');
    ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
    try {
      const img = await images.importTar(ctx.req, {
        repo: q.get('repo') || undefined,
        tag: q.get('tag') || undefined,
        changes: q.getAll('changes'),
        message: q.get('message') || undefined,
        platform: q.get('platform') || undefined,
      });
      ctx.res.end(JSON.stringify({ status: img.id }) + '\r\n');
    } catch (err) {
      ctx.res.end(JSON.stringify({ errorDetail: { message: errorMessage(err) }, error: errorMessage(err) }) + '\r\n');
    }
  });

  r.post('/images/prune', async (ctx) => sendJson(ctx, 200, await images.prune(qFilters(ctx.query), users)));

  r.get('/images/json', (ctx) => {
    const filters = qFilters(ctx.query);
    const list = filterImages(images.store, qBool(ctx.query, 'all'), filters);
    const patterns = filters.get('reference') ?? [];
    // With a reference filter Docker lists only the names that matched.
    const matching = (names: string[]) => (patterns.length ? names.filter((n) => patterns.some((p) => referenceMatches(p, n))) : names);
    sendJson(
      ctx,
      200,
      list.map((img) => {
        const s = summary(img);
        return { ...s, RepoTags: matching(s.RepoTags), RepoDigests: matching(s.RepoDigests) };
      }),
    );
  });

  r.get('/images/:name*/json', async (ctx) => sendJson(ctx, 200, await inspect(images.get(ctx.params.name!))));

  r.get('/images/:name*/history', (ctx) => sendJson(ctx, 200, images.history(ctx.params.name!)));

  r.post('/images/:name*/tag', async (ctx) => {
    const repo = ctx.query.get('repo');
    if (!repo) throw new InvalidParameter('repository name must have at least one component');
    const tag = ctx.query.get('tag');
    await images.tag(ctx.params.name!, tag ? `${repo}:${tag}` : repo);
    ctx.res.writeHead(201);
    ctx.res.end();
  });

  r.delete('/images/:name*', async (ctx) => {
    const out = await images.remove(ctx.params.name!, { force: qBool(ctx.query, 'force'), noprune: qBool(ctx.query, 'noprune') }, users);
    sendJson(ctx, 200, out);
  });
}
