// System routes: /_ping, /version, /info, /events.
import type { Router } from '../router.js';
import { sendJson, qFilters } from '../http.js';
import { API_VERSION } from '../server.js';
import { InvalidParameter } from '../../lib/errors.js';
import { matchesFilters, type EventBus } from '../../daemon/events.js';
import { systemInfo, versionInfo, type SystemFacts } from '../../daemon/system-info.js';

export function systemRoutes(r: Router, facts: SystemFacts, events: EventBus): void {
  const ping = (method: 'GET' | 'HEAD') => (ctx: Parameters<Parameters<Router['get']>[1]>[0]) => {
    ctx.res.writeHead(200, {
      'Api-Version': API_VERSION,
      'Builder-Version': '1',
      'Docker-Experimental': 'false',
      Ostype: 'linux',
      Swarm: 'inactive',
      'Cache-Control': 'no-cache, no-store, must-revalidate',
      Pragma: 'no-cache',
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': method === 'GET' ? '2' : '0',
    });
    ctx.res.end(method === 'GET' ? 'OK' : undefined);
  };
  r.get('/_ping', ping('GET'));
  r.head('/_ping', ping('HEAD'));

  r.get('/version', (ctx) => sendJson(ctx, 200, versionInfo(facts)));
  r.get('/info', (ctx) => sendJson(ctx, 200, systemInfo(facts)));

  r.get('/events', async (ctx) => {
    const filters = qFilters(ctx.query);
    const since = parseEventTime(ctx.query.get('since'));
    const until = parseEventTime(ctx.query.get('until'));
    ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
    ctx.res.flushHeaders();
    const send = (e: Parameters<typeof matchesFilters>[0]) => {
      if (until !== undefined && e.timeNano > until) return;
      if (matchesFilters(e, filters)) ctx.res.write(JSON.stringify(e) + '\n');
    };
    const sub = events.subscribe(since, send);
    for (const e of sub.past) send(e);
    await new Promise<void>((resolve) => {
      ctx.res.on('close', resolve);
      if (until !== undefined) {
        const wait = Math.max(0, until / 1e6 - Date.now());
        setTimeout(resolve, wait).unref();
      }
    });
    sub.close();
    ctx.res.end();
  });
}

/** since/until: unix seconds with an optional fraction, as the CLI sends them; returned in ns. */
function parseEventTime(v: string | null): number | undefined {
  if (!v) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidParameter(`invalid timestamp: ${v}`);
  return Math.floor(n * 1e9);
}
