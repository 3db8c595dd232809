// An in-process stand-in for berthd on a temp unix socket, for unit tests of the CLI's client side:
// routes are plain handlers keyed by "METHOD /path" (version prefix stripped), upgrades by path.

import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void;
export type UpgradeHandler = (req: http.IncomingMessage, socket: Duplex) => void;

export interface FakeDaemon {
  host: string;
  log: string[];
  routes: Map<string, Handler>;
  upgrades: Map<string, UpgradeHandler>;
  close(): Promise<void>;
}

export async function startFakeDaemon(apiVersion: string | null = '1.50'): Promise<FakeDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-cli-fake-'));
  const sock = join(dir, 'berth.sock');
  const routes = new Map<string, Handler>();
  const upgrades = new Map<string, UpgradeHandler>();
  const log: string[] = [];
  const strip = (url: string): string => url.replace(/^\/v\d+\.\d+/, '');
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const key = `${req.method} ${strip(url.pathname)}`;
      log.push(`${req.method} ${req.url}`);
      if (strip(url.pathname) === '/_ping') {
        if (apiVersion) res.setHeader('Api-Version', apiVersion);
        res.setHeader('OSType', 'linux');
        res.end(req.method === 'HEAD' ? undefined : 'OK');
        return;
      }
      const h = routes.get(key);
      if (!h) {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ message: `page not found: ${key}` }));
        return;
      }
      h(req, res, Buffer.concat(chunks));
    });
  });
  server.on('upgrade', (req, socket) => {
    const url = new URL(req.url ?? '/', 'http://x');
    log.push(`UPGRADE ${req.method} ${req.url}`);
    const h = upgrades.get(strip(url.pathname));
    if (!h) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 28\r\n\r\n{"message":"No such thing"}\n');
      return;
    }
    socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    h(req, socket);
  });
  await new Promise<void>((resolve) => server.listen(sock, resolve));
  return {
    host: `unix://${sock}`,
    log,
    routes,
    upgrades,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A writable that keeps what was written, for capturing a command's stdout/stderr. */
export class Capture {
  chunks: string[] = [];
  isTTY = false;
  write(c: string | Buffer): boolean {
    this.chunks.push(String(c));
    return true;
  }
  get text(): string {
    return this.chunks.join('');
  }
}

export function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}
