// /networks/* routes: decode the request, call the network controller, encode the answer.
import type { Router } from '../router.js';
import { readJson, sendJson, sendStatus, qFilters } from '../http.js';
import { InvalidParameter } from '../../lib/errors.js';
import type { NetworkController, NetworkCreateRequest } from '../../network/controller.js';
import type { NetworkRecord } from '../../network/model.js';
import { networkOut } from '../types/network.js';
import { checkFilterKeys, matchPruneLabels, untilFilter } from '../../disk/prune-filters.js';

const LIST_FILTERS = new Set(['driver', 'id', 'label', 'name', 'scope', 'type', 'dangling']);

function labelMatch(n: NetworkRecord, spec: string): boolean {
  const i = spec.indexOf('=');
  return i < 0 ? spec in n.Labels : n.Labels[spec.slice(0, i)] === spec.slice(i + 1);
}

/** Docker's network list filters. */
export function matchNetwork(n: NetworkRecord, f: Map<string, string[]>, used: (n: NetworkRecord) => boolean): boolean {
  for (const k of f.keys()) if (!LIST_FILTERS.has(k) && k !== 'until' && k !== 'label!') throw new InvalidParameter(`invalid filter '${k}'`);
  const any = (k: string, test: (v: string) => boolean) => !f.get(k)?.length || f.get(k)!.some(test);
  if (!any('driver', (v) => n.Driver === v)) return false;
  if (!any('id', (v) => n.Id.startsWith(v))) return false;
  if (!any('name', (v) => n.Name.includes(v))) return false;
  if (!any('scope', (v) => v === 'local')) return false;
  if (!any('type', (v) => (v === 'builtin' ? !!n.predefined : v === 'custom' ? !n.predefined : (() => { throw new InvalidParameter(`invalid filter: 'type'='${v}'`); })()))) return false;
  if (!(f.get('label') ?? []).every((l) => labelMatch(n, l))) return false;
  if ((f.get('label!') ?? []).some((l) => labelMatch(n, l))) return false;
  if (!any('dangling', (v) => (v === 'true' || v === '1') === (!n.predefined && !used(n)))) return false;
  const until = f.get('until')?.[0];
  if (until) {
    const ms = /^\d+(\.\d+)?$/.test(until) ? Number(until) * 1000 : Date.parse(until);
    if (!(Date.parse(n.Created) < ms)) return false;
  }
  return true;
}

export function networkRoutes(r: Router, network: NetworkController): void {
  const used = (n: NetworkRecord) => network.membersOf(n).length > 0;

  r.get('/networks', (ctx) => {
    const f = qFilters(ctx.query);
    sendJson(ctx, 200, network.list().filter((n) => matchNetwork(n, f, used)).map((n) => networkOut(n, undefined)));
  });

  r.get('/networks/:id', (ctx) => {
    const n = network.get(ctx.params.id!);
    sendJson(ctx, 200, networkOut(n, network.membersOf(n)));
  });

  r.post('/networks/create', async (ctx) => {
    const body = await readJson<NetworkCreateRequest>(ctx);
    sendJson(ctx, 201, await network.create(body));
  });

  r.delete('/networks/:id', async (ctx) => {
    await network.remove(ctx.params.id!);
    sendStatus(ctx, 204);
  });

  r.post('/networks/:id/connect', async (ctx) => {
    const body = await readJson<{ Container?: string; EndpointConfig?: Record<string, unknown> | null }>(ctx);
    if (!body.Container) throw new InvalidParameter('container is required');
    await network.connect(ctx.params.id!, body.Container, body.EndpointConfig as never);
    sendStatus(ctx, 200);
  });

  r.post('/networks/:id/disconnect', async (ctx) => {
    const body = await readJson<{ Container?: string; Force?: boolean }>(ctx);
    if (!body.Container) throw new InvalidParameter('container is required');
    await network.disconnect(ctx.params.id!, body.Container, !!body.Force);
    sendStatus(ctx, 200);
  });

  r.post('/networks/prune', async (ctx) => {
    const f = qFilters(ctx.query);
    // dockerd's prune rules (only until/label/label!; until also takes durations such as 24h).
    checkFilterKeys(f, ['until', 'label', 'label!']);
    const until = untilFilter(f);
    sendJson(ctx, 200, await network.prune((n) => !((until === undefined || Date.parse(n.Created) <= until) && matchPruneLabels(f, n.Labels))));
  });
}
