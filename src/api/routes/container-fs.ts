// Routes for a container's filesystem: archive (docker cp), export, changes (docker diff), commit.
import type { Router } from '../router.js';
import { sendJson, sendStatus, qBool } from '../http.js';
import { InvalidParameter } from '../../lib/errors.js';
import type { ContainerFilesystem } from '../../containers/filesystem.js';

export function containerFsRoutes(r: Router, fsx: ContainerFilesystem): void {
  const pathOf = (q: URLSearchParams) => {
    const p = q.get('path');
    if (!p) throw new InvalidParameter('path is required');
    return p;
  };
  const statHeader = (stat: object) => Buffer.from(JSON.stringify(stat)).toString('base64');

  r.head('/containers/:id/archive', async (ctx) => {
    const stat = await fsx.statPath(ctx.params.id!, pathOf(ctx.query));
    ctx.res.writeHead(200, { 'X-Docker-Container-Path-Stat': statHeader(stat) });
    ctx.res.end();
  });

  r.get('/containers/:id/archive', async (ctx) => {
    const { stat, stream } = await fsx.getArchive(ctx.params.id!, pathOf(ctx.query));
    ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar', 'X-Docker-Container-Path-Stat': statHeader(stat) });
    stream.pipe(ctx.res);
    await new Promise((resolve) => ctx.res.on('close', resolve));
  });

  r.put('/containers/:id/archive', async (ctx) => {
    await fsx.putArchive(ctx.params.id!, pathOf(ctx.query), ctx.req, { noOverwriteDirNonDir: qBool(ctx.query, 'noOverwriteDirNonDir') });
    sendStatus(ctx, 200);
  });

  r.get('/containers/:id/export', async (ctx) => {
    const stream = await fsx.export(ctx.params.id!);
    ctx.res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
    stream.pipe(ctx.res);
    await new Promise((resolve) => ctx.res.on('close', resolve));
  });

  r.get('/containers/:id/changes', async (ctx) => sendJson(ctx, 200, await fsx.changes(ctx.params.id!)));

  r.post('/commit', async (ctx) => {
    const q = ctx.query;
    const container = q.get('container');
    if (!container) throw new InvalidParameter('container is required');
    const body = await readOptionalJson(ctx.req);
    const img = await fsx.commit(container, {
      repo: q.get('repo') || undefined,
      tag: q.get('tag') || undefined,
      comment: q.get('comment') || undefined,
      author: q.get('author') || undefined,
      changes: q.getAll('changes').flatMap((c) => c.split('\n')),
      pause: q.get('pause') === null ? true : qBool(q, 'pause'),
      config: body,
    });
    sendJson(ctx, 201, { Id: img.id });
  });
}

async function readOptionalJson(req: AsyncIterable<Buffer>): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c);
  const text = Buffer.concat(chunks).toString().trim();
  if (!text || text === 'null') return undefined;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new InvalidParameter(`invalid JSON: ${(err as Error).message}`);
  }
}
