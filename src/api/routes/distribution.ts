// Registry routes of the Engine API: pull (called from POST /images/create), push, login
// (POST /auth) and GET /distribution/{name}/json. Progress is a JSON-message stream whose headers
// go out with the first message, so an error before any progress is still a plain HTTP error.
import type { Router, RequestContext } from '../router.js';
import { sendJson, readJson } from '../http.js';
import { errorMessage } from '../../lib/errors.js';
import type { DistributionService } from '../../distribution/client/service.js';
import { decodeRegistryAuth, normalize } from '../../distribution/client/credentials.js';
import type { JSONMessage } from '../../distribution/client/progress.js';

/** Runs `work` with a sink that streams JSON messages; a late error becomes an errorDetail message. */
async function streamProgress(ctx: RequestContext, work: (sink: (m: JSONMessage) => void) => Promise<void>): Promise<void> {
  const sink = (m: JSONMessage) => {
    if (!ctx.res.headersSent) ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
    ctx.res.write(JSON.stringify(m) + '\r\n');
  };
  try {
    await work(sink);
  } catch (err) {
    if (!ctx.res.headersSent) throw err;
    const message = errorMessage(err);
    ctx.res.end(JSON.stringify({ errorDetail: { message }, error: message }) + '\r\n');
    return;
  }
  if (!ctx.res.headersSent) ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
  ctx.res.end();
}

export function pullRoute(dist: DistributionService): (ctx: RequestContext) => Promise<void> {
  return (ctx) => {
    const q = ctx.query;
    const auth = decodeRegistryAuth(ctx.req.headers['x-registry-auth']);
    return streamProgress(ctx, (sink) => dist.pull(q.get('fromImage') ?? '', q.get('tag'), q.get('platform'), auth, sink));
  };
}

export function distributionRoutes(r: Router, dist: DistributionService): void {
  r.post('/images/:name*/push', (ctx) => {
    const auth = decodeRegistryAuth(ctx.req.headers['x-registry-auth']);
    return streamProgress(ctx, (sink) => dist.push(ctx.params.name!, ctx.query.get('tag'), auth, sink));
  });

  r.get('/distribution/:name*/json', async (ctx) => {
    const auth = decodeRegistryAuth(ctx.req.headers['x-registry-auth']);
    sendJson(ctx, 200, await dist.inspect(ctx.params.name!, auth));
  });

  r.post('/auth', async (ctx) => {
    const body = normalize(await readJson<unknown>(ctx));
    sendJson(ctx, 200, await dist.login(body));
  });
}
