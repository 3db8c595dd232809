// The docker CLI's own share of a command: the same answer a daemon gave, served at once by a
// stand-in that does nothing else, and the CLI timed against it. What a daemon could save at
// most is what it measures above this floor.
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { timed } from './proc.js';
import { summarize, type Summary } from './stats.js';
import { DOCKER_CLI } from './engines/engine.js';

const HEADERS = { 'Api-Version': '1.50', Ostype: 'linux', 'Docker-Experimental': 'false', Server: 'Docker/28.2.0 (linux)' };

/** Times `docker <args>` against a server that answers `path` with `body` (and _ping) instantly. */
export async function dockerCliFloor(args: string[], path: string, body: string, iterations: number): Promise<Summary> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-floor-'));
  const socket = join(dir, 'floor.sock');
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '').replace(/^\/v[0-9.]+/, '').split('?')[0];
    if (url === '/_ping') {
      res.writeHead(200, { ...HEADERS, 'Content-Type': 'text/plain' });
      res.end(req.method === 'HEAD' ? undefined : 'OK');
    } else if (url === path) {
      res.writeHead(200, { ...HEADERS, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    } else {
      res.writeHead(404, { ...HEADERS, 'Content-Type': 'application/json' });
      res.end('{"message":"page not found"}');
    }
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  try {
    const env = { ...process.env, DOCKER_HOST: `unix://${socket}` };
    const samples: number[] = [];
    for (let i = 0; i < 2 + iterations; i++) {
      const r = await timed({ cmd: DOCKER_CLI, args, env });
      if (r.code !== 0) throw new Error(`docker ${args.join(' ')} against the stand-in: ${r.stderr.trim()}`);
      if (i >= 2) samples.push(r.ms);
    }
    return summarize(samples);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  }
}
