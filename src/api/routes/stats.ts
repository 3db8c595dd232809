// GET /containers/{id}/stats: one object (stream=0, with or without one-shot) or a JSON stream,
// one object per second, until the client hangs up or the container stops.
import type { Router } from '../router.js';
import { qBool } from '../http.js';
import type { StatsService } from '../../containers/stats/stats-service.js';
import { statsJson } from '../../containers/stats/stats-response.js';

export function statsRoutes(r: Router, stats: StatsService): void {
  r.get('/containers/:id/stats', async (ctx) => {
    const stream = qBool(ctx.query, 'stream', true);
    const oneShot = qBool(ctx.query, 'one-shot');
    const abort = new AbortController();
    ctx.res.on('close', () => abort.abort());
    const samples = stats.stats(ctx.params.id!, { stream, oneShot }, abort.signal);
    // The first sample is taken before the headers go out, so a missing container is still a 404.
    const first = await samples.next();
    ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
    if (stream) ctx.res.flushHeaders();
    if (first.done) return void ctx.res.end();
    ctx.res.write(statsJson(first.value) + '\n');
    for await (const s of samples) {
      if (abort.signal.aborted) break;
      if (!ctx.res.write(statsJson(s) + '\n')) await new Promise((resolve) => ctx.res.once('drain', resolve));
    }
    ctx.res.end();
  });
}
