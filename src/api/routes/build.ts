// POST /build (Docker's legacy builder API): decodes the query into build options and streams
// the builder's JSON messages back; the body is the context tar.
import type { Router } from '../router.js';
import { qBool, qInt } from '../http.js';
import { InvalidParameter } from '../../lib/errors.js';
import type { Builder, BuildOptions } from '../../build/builder.js';

function jsonParam<T>(q: URLSearchParams, name: string, fallback: T): T {
  const raw = q.get(name);
  if (!raw) return fallback;
  try {
    return JSON.parse(raw) as T;
  } catch {
    throw new InvalidParameter(`invalid ${name} parameter: ${raw}`);
  }
}

/** X-Registry-Config: base64url JSON of {registry: AuthConfig}, what the docker CLI knows. */
function registryConfig(header: string | string[] | undefined): Record<string, unknown> | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value.replace(/\+/g, '-').replace(/\//g, '_'), 'base64url').toString('utf8'));
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    // dockerd ignores an undecodable header (pulls then go without credentials).
    return undefined;
  }
}

export function buildRoutes(r: Router, builder: Builder): void {
  r.post('/build', async (ctx) => {
    const q = ctx.query;
    if (q.get('version') === '2') throw new InvalidParameter('BuildKit is not supported by this daemon: use DOCKER_BUILDKIT=0');
    if (q.get('remote')) throw new InvalidParameter('remote build contexts are not supported: send the context as the request body');
    const resources: Record<string, unknown> = {};
    const num = (param: string, field: string) => {
      const v = qInt(q, param);
      if (v !== undefined && v !== 0) resources[field] = v;
    };
    num('memory', 'Memory');
    num('memswap', 'MemorySwap');
    num('cpushares', 'CpuShares');
    num('cpuperiod', 'CpuPeriod');
    num('cpuquota', 'CpuQuota');
    if (q.get('cpusetcpus')) resources.CpusetCpus = q.get('cpusetcpus');
    if (q.get('cpusetmems')) resources.CpusetMems = q.get('cpusetmems');
    const opts: BuildOptions = {
      dockerfile: q.get('dockerfile') ?? '',
      tags: q.getAll('t').filter(Boolean),
      buildArgs: jsonParam<Record<string, string | null>>(q, 'buildargs', {}),
      target: q.get('target') ?? '',
      labels: jsonParam<Record<string, string>>(q, 'labels', {}),
      noCache: qBool(q, 'nocache'),
      pull: qBool(q, 'pull'),
      rm: qBool(q, 'rm', true),
      forceRm: qBool(q, 'forcerm'),
      quiet: qBool(q, 'q'),
      cacheFrom: jsonParam<string[]>(q, 'cachefrom', []),
      networkMode: q.get('networkmode') ?? '',
      shmSize: qInt(q, 'shmsize') || undefined,
      resources,
      registryAuth: registryConfig(ctx.req.headers['x-registry-config']),
    };
    ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
    await builder.build(ctx.req, opts, (m) => {
      ctx.res.write(JSON.stringify(m) + '\r\n');
    });
    ctx.res.end();
  });
}

/** Composition-root hook: makes the builder (cache, scratch space) and registers its route. */
export async function registerBuild(r: Router, deps: ConstructorParameters<typeof Builder>[0]): Promise<Builder> {
  const { Builder: BuilderClass } = await import('../../build/builder.js');
  const builder = new BuilderClass(deps);
  await builder.init();
  buildRoutes(r, builder);
  return builder;
}
