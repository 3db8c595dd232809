// /images/get, /images/{name}/get and /images/load: `docker save` and `docker load`.
import type { Router, RequestContext } from '../router.js';
import { qBool } from '../http.js';
import { errorMessage } from '../../lib/errors.js';
import type { ArchiveDeps } from '../../images/archive/deps.js';
import { saveImages } from '../../images/archive/save.js';
import { loadImages } from '../../images/archive/load.js';

export function imageArchiveRoutes(r: Router, deps: ArchiveDeps): void {
  const save = async (ctx: RequestContext, names: string[]) => {
    // Names are resolved before the answer starts, so a bad one is a plain 404/400.
    const tar = await saveImages(names, deps);
    ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
    tar.on('error', () => ctx.res.destroy()); // a cut-off tar tells the client it failed
    ctx.res.on('close', () => tar.destroy());
    tar.pipe(ctx.res);
  };

  r.get('/images/get', (ctx) => save(ctx, ctx.query.getAll('names')));
  r.get('/images/:name*/get', (ctx) => save(ctx, [ctx.params.name!]));

  r.post('/images/load', async (ctx) => {
    ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
    const send = (m: unknown) => ctx.res.write(JSON.stringify(m) + '\r\n');
    try {
      for await (const m of loadImages(ctx.req, deps, { quiet: qBool(ctx.query, 'quiet') })) send(m);
    } catch (err) {
      send({ errorDetail: { message: errorMessage(err) }, error: errorMessage(err) });
    }
    ctx.res.end();
  });
}
