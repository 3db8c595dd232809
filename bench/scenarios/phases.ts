// Scenario phases (only when named): where the time of one `run --rm` goes. Replays the docker
// CLI's request sequence over the API socket (create → attach → wait removed → start → exit
// reported) and times each step, per daemon; what the CLI adds is the run-rm p50 minus the sum.
import http from 'node:http';
import type { Socket } from 'node:net';
import { countServed, type BenchContext } from '../context.js';
import { apiCall } from '../engine-api.js';
import { summarize, table, ms } from '../stats.js';

const PHASES = ['create', 'attach', 'wait registered', 'start', 'exit → wait answered', 'total'] as const;
type Phase = (typeof PHASES)[number];

function attach(socket: string, id: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      socketPath: socket,
      method: 'POST',
      path: `/containers/${id}/attach?stream=1&stdout=1&stderr=1`,
      headers: { Connection: 'Upgrade', Upgrade: 'tcp' },
    });
    req.on('upgrade', (_res, sock) => resolve(sock));
    req.on('response', (res) => reject(new Error(`attach: ${res.statusCode}`)));
    req.on('error', reject);
    req.end();
  });
}

/** Registers the wait and resolves when its headers arrive; `body` settles when the exit is reported. */
function waitRemoved(socket: string, id: string): Promise<{ body: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, method: 'POST', path: `/containers/${id}/wait?condition=removed` }, (res) => {
      const body = new Promise<string>((done) => {
        let s = '';
        res.on('data', (d: Buffer) => (s += d.toString()));
        res.on('end', () => done(s));
      });
      resolve({ body });
    });
    req.on('error', reject);
    req.end();
  });
}

async function once(socket: string): Promise<Record<Phase, number>> {
  const t = [performance.now()];
  const mark = () => t.push(performance.now());
  const c = await apiCall(socket, 'POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], AttachStdout: true, AttachStderr: true, HostConfig: { NetworkMode: 'none', AutoRemove: true } });
  if (c.status !== 201) throw new Error(`create: ${c.status} ${JSON.stringify(c.body)}`);
  const id = c.body.Id as string;
  mark();
  const sock = await attach(socket, id);
  sock.resume();
  mark();
  const wait = await waitRemoved(socket, id);
  mark();
  const s = await apiCall(socket, 'POST', `/containers/${id}/start`);
  if (s.status !== 204) throw new Error(`start: ${s.status} ${JSON.stringify(s.body)}`);
  mark();
  const body = await wait.body;
  if (!/"StatusCode":\s*0/.test(body)) throw new Error(`wait: ${body}`);
  mark();
  sock.destroy();
  const out = {} as Record<Phase, number>;
  PHASES.slice(0, 5).forEach((p, i) => (out[p] = t[i + 1]! - t[i]!));
  out.total = t[5]! - t[0]!;
  return out;
}

export async function phases(ctx: BenchContext): Promise<void> {
  const rows: string[][] = [];
  for (const e of ctx.engines) {
    const socket = (e as { socket?: string }).socket;
    if (!socket) continue;
    const samples: Record<Phase, number>[] = [];
    for (let i = 0; i < ctx.opts.warmup + ctx.opts.iterations; i++) {
      const r = await once(socket);
      countServed(ctx, e.name);
      if (i >= ctx.opts.warmup) samples.push(r);
    }
    const cliP50 = ctx.results.runRm.get(e.name)?.p50;
    for (const p of PHASES) {
      const s = summarize(samples.map((x) => x[p]));
      rows.push([e.name, p, ms(s.p50), ms(s.p90), ms(s.min)]);
    }
    if (cliP50 !== undefined) rows.push([e.name, '≈ docker CLI share (run-rm p50 − total p50)', ms(cliP50 - summarize(samples.map((x) => x.total)).p50), '', '']);
  }
  console.log(`\n## phases: one run --rm replayed over the API (p50 per step)\n`);
  console.log(table(['engine', 'phase', 'p50', 'p90', 'min'], rows, [1]));
}
