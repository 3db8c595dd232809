// /containers/* routes: decode the request, call the containers service, encode the answer.
import type { Router } from '../router.js';
import { readJson, sendJson, sendStatus, qBool, qInt, qFilters, hijack } from '../http.js';
import { InvalidParameter } from '../../lib/errors.js';
import type { ContainerService, WaitCondition } from '../../containers/service.js';
import type { ContainerRecord } from '../../containers/model.js';
import { filterContainers } from '../../containers/filters.js';
import { parseDetachKeys, frameChunk } from '../../containers/attach.js';
import { toInspect, toSummary, type ContainerExtras } from '../types/container.js';
import type { ImageStore } from '../../images/store.js';
import type { LayerStore } from '../../layers/store.js';
import type { ApiConfig, ApiHostConfig } from '../../containers/model.js';
import type { UpdateConfig } from '../../containers/resource-update.js';

export interface ContainerRouteDeps {
  containers: ContainerService;
  images: ImageStore;
  layers: LayerStore;
}

export function containerRoutes(r: Router, d: ContainerRouteDeps): void {
  const { containers } = d;

  const sizes = async (c: ContainerRecord): Promise<{ sizeRw: number; sizeRootFs: number }> => {
    const sizeRw = await d.layers.sizeRW(c.Id);
    return { sizeRw, sizeRootFs: sizeRw + d.layers.parentChainOf(c.Id).reduce((n, l) => n + l.size, 0) };
  };

  /** Inspect's extras; `docker ps` needs none of this unless sizes are asked for. */
  const extras = async (c: ContainerRecord, size: boolean): Promise<ContainerExtras> => {
    return {
      imageName: c.Config.Image ?? '',
      graphDriver: { Name: d.layers.driver.name, Data: await d.layers.containerGraphData(c.Id) },
      ...(size ? await sizes(c) : {}),
      network: containers.network,
    };
  };

  r.post('/containers/create', async (ctx) => {
    const body = await readJson<ApiConfig & { HostConfig?: ApiHostConfig }>(ctx);
    const name = ctx.query.get('name') ?? undefined;
    sendJson(ctx, 201, await containers.create(name || undefined, body));
  });

  r.get('/containers/json', async (ctx) => {
    const size = qBool(ctx.query, 'size');
    const list = filterContainers(containers.list(), {
      all: qBool(ctx.query, 'all'),
      limit: qInt(ctx.query, 'limit'),
      filters: qFilters(ctx.query),
      findContainer: (ref) => containers.store.find(ref),
      imageMatches: (c, ref) => {
        const img = d.images.tryResolve(ref);
        return !!img && img.id === c.Image;
      },
    });
    const network = containers.network;
    sendJson(ctx, 200, size ? await Promise.all(list.map(async (c) => toSummary(c, { ...(await sizes(c)), network }))) : list.map((c) => toSummary(c, { network })));
  });

  r.get('/containers/:id/json', async (ctx) => {
    const c = containers.get(ctx.params.id!);
    sendJson(ctx, 200, toInspect(c, await extras(c, qBool(ctx.query, 'size'))));
  });

  r.post('/containers/:id/start', async (ctx) => {
    await containers.start(ctx.params.id!);
    sendStatus(ctx, 204);
  });

  r.post('/containers/:id/stop', async (ctx) => {
    await containers.stop(ctx.params.id!, { signal: ctx.query.get('signal') ?? undefined, timeout: qInt(ctx.query, 't') });
    sendStatus(ctx, 204);
  });

  r.post('/containers/:id/restart', async (ctx) => {
    await containers.restart(ctx.params.id!, { signal: ctx.query.get('signal') ?? undefined, timeout: qInt(ctx.query, 't') });
    sendStatus(ctx, 204);
  });

  r.post('/containers/:id/kill', async (ctx) => {
    await containers.kill(ctx.params.id!, ctx.query.get('signal') || 'SIGKILL');
    sendStatus(ctx, 204);
  });

  r.post('/containers/:id/pause', async (ctx) => {
    await containers.pause(ctx.params.id!);
    sendStatus(ctx, 204);
  });

  r.post('/containers/:id/unpause', async (ctx) => {
    await containers.unpause(ctx.params.id!);
    sendStatus(ctx, 204);
  });

  r.post('/containers/:id/rename', async (ctx) => {
    await containers.rename(ctx.params.id!, ctx.query.get('name') ?? '');
    sendStatus(ctx, 204);
  });

  r.post('/containers/:id/wait', async (ctx) => {
    const condition = (ctx.query.get('condition') || 'not-running') as WaitCondition;
    if (!['not-running', 'next-exit', 'removed'].includes(condition)) {
      throw new InvalidParameter(`invalid condition: "${condition}"`);
    }
    const w = containers.wait(ctx.params.id!, condition);
    // The docker CLI starts the container only once these headers arrive.
    ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
    ctx.res.flushHeaders();
    ctx.res.on('close', () => w.cancel());
    const result = await w.result;
    ctx.res.end(JSON.stringify(result) + '\n');
  });

  r.delete('/containers/:id', async (ctx) => {
    await containers.remove(ctx.params.id!, { force: qBool(ctx.query, 'force'), volumes: qBool(ctx.query, 'v') });
    sendStatus(ctx, 204);
  });

  r.post('/containers/:id/attach', async (ctx) => {
    const c = containers.get(ctx.params.id!);
    const q = ctx.query;
    const detachKeys = parseDetachKeys(q.get('detachKeys'));
    const stream = qBool(q, 'stream');
    const logs = qBool(q, 'logs');
    const opts = { stdin: qBool(q, 'stdin'), stdout: qBool(q, 'stdout'), stderr: qBool(q, 'stderr'), tty: !!c.Config.Tty, detachKeys };
    const socket = hijack(ctx, !!c.Config.Tty);
    if (logs) {
      for await (const e of containers.logs(c.Id, { stdout: opts.stdout, stderr: opts.stderr, since: 0, until: 0, follow: false })) {
        socket.write(opts.tty ? e.data : frameChunk(e.stream === 'stdout' ? 1 : 2, e.data));
      }
    }
    if (!stream) {
      socket.end();
      return;
    }
    await containers.attach(c.Id, socket, opts);
  });

  r.post('/containers/:id/resize', async (ctx) => {
    const h = qInt(ctx.query, 'h');
    const w = qInt(ctx.query, 'w');
    if (h === undefined || w === undefined) throw new InvalidParameter('h and w are required');
    await containers.resize(ctx.params.id!, h, w);
    sendStatus(ctx, 200);
  });

  r.get('/containers/:id/top', async (ctx) => sendJson(ctx, 200, await containers.top(ctx.params.id!, ctx.query.get('ps_args') ?? '')));

  r.post('/containers/prune', async (ctx) => sendJson(ctx, 200, await containers.prune(qFilters(ctx.query))));

  r.post('/containers/:id/update', async (ctx) => {
    sendJson(ctx, 200, await containers.update(ctx.params.id!, await readJson<UpdateConfig>(ctx)));
  });

  r.get('/containers/:id/logs', async (ctx) => {
    const c = containers.get(ctx.params.id!);
    const q = ctx.query;
    const stdout = qBool(q, 'stdout');
    const stderr = qBool(q, 'stderr');
    if (!stdout && !stderr) throw new InvalidParameter('Bad parameters: you must choose at least one stream');
    const tailRaw = q.get('tail');
    const tail = tailRaw === null || tailRaw === '' || tailRaw === 'all' ? undefined : Number(tailRaw);
    if (tail !== undefined && !Number.isFinite(tail)) throw new InvalidParameter(`invalid value for "tail": ${tailRaw}`);
    const timestamps = qBool(q, 'timestamps');
    const entries = containers.logs(c.Id, {
      stdout,
      stderr,
      since: parseTime(q.get('since')),
      until: parseTime(q.get('until')),
      tail,
      follow: qBool(q, 'follow'),
    });
    const tty = !!c.Config.Tty;
    ctx.res.writeHead(200, { 'Content-Type': tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream' });
    ctx.res.flushHeaders();
    let closed = false;
    ctx.res.on('close', () => {
      closed = true;
      void entries.return(undefined);
    });
    for await (const e of entries) {
      if (closed) break;
      const data = timestamps ? Buffer.concat([Buffer.from(e.time + ' '), e.data]) : e.data;
      const ok = ctx.res.write(tty ? data : frameChunk(e.stream === 'stdout' ? 1 : 2, data));
      if (!ok) await new Promise((resolve) => ctx.res.once('drain', resolve));
    }
    ctx.res.end();
  });
}

/** Docker sends since/until as unix seconds with an optional fraction ("1690000000.123456789"). */
function parseTime(v: string | null): number {
  if (!v) return 0;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidParameter(`invalid value for time: ${v}`);
  return n;
}
