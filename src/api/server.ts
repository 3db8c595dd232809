// The Engine API server: node:http on unix sockets, version prefixes stripped, requests routed to
// thin handlers, typed errors mapped to Docker's status codes and `{"message"}` bodies.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { promises as fs } from 'node:fs';
import type { Duplex } from 'node:stream';
import { Router, stripVersion, type RequestContext } from './router.js';
import { writeError } from './errors.js';
import { InvalidParameter, NotFound } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';

export const API_VERSION = '1.50';
export const MIN_API_VERSION = '1.24';

export class ApiServer {
  readonly router = new Router();
  private servers: http.Server[] = [];
  private sockets = new Set<import('node:net').Socket>();

  constructor(private readonly log: Logger) {}

  async listenUnix(path: string, group?: number): Promise<void> {
    await fs.rm(path, { force: true });
    const server = this.serve(http.createServer({ keepAlive: true }));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    await fs.chmod(path, 0o660);
    if (group !== undefined) await fs.chown(path, 0, group);
    this.servers.push(server);
  }

  /**
   * TCP, plain or TLS (options from src/api/listeners.ts). Requests and hijacked upgrades go
   * through the same dispatch as on the unix socket. Resolves the bound port (for port 0).
   */
  async listenTcp(host: string, port: number, tls?: https.ServerOptions): Promise<number> {
    // allowHalfOpen: a client's CloseWrite after stdin (a TLS close_notify) must leave the daemon
    // able to send the rest of a hijacked stream; node:http does this for plain sockets itself.
    const server = this.serve(tls ? https.createServer({ keepAlive: true, allowHalfOpen: true, ...tls }) : http.createServer({ keepAlive: true }));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.servers.push(server);
    return (server.address() as AddressInfo).port;
  }

  /** Wires a node:http or node:https server to the router; hijacks arrive as 'upgrade'. */
  private serve<S extends http.Server>(server: S): S {
    // Like dockerd, keep idle connections open until the client closes them and put no deadline on
    // a request: an idle timeout races with clients reusing a pooled connection (their request
    // meets a closed socket: EPIPE), and a deadline would cut off a long `docker load` upload.
    server.keepAliveTimeout = 0;
    server.requestTimeout = 0;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.dispatch(req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const res = new http.ServerResponse(req);
      res.assignSocket(socket as import('node:net').Socket);
      void this.dispatch(req, res, { socket, head });
    });
    server.on('clientError', (_err, socket) => socket.destroy());
    // Hijacked streams (attach, exec) leave node:http's own bookkeeping, so close() could wait on
    // them for ever: keep every socket to end them at shutdown.
    server.on('connection', (socket: import('node:net').Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    // A refused TLS handshake (no or foreign client certificate) is the client's problem, not ours.
    server.on('tlsClientError', (err: Error) => this.log.debug(`TLS handshake refused: ${err.message}`));
    return server;
  }

  async close(): Promise<void> {
    await Promise.all([
      ...this.servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
      Promise.resolve().then(() => {
        for (const socket of this.sockets) socket.destroy();
      }),
    ]);
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, upgrade?: { socket: Duplex; head: Buffer }): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://berth');
    const { version, path } = stripVersion(url.pathname);
    const ctx: RequestContext = { req, res, params: {}, query: url.searchParams, version: version ?? API_VERSION, upgrade };
    try {
      if (version && compareVersions(version, MIN_API_VERSION) < 0) {
        throw new InvalidParameter(`client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
      }
      if (version && compareVersions(version, API_VERSION) > 0) {
        throw new InvalidParameter(`client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
      }
      const m = this.router.match(req.method ?? 'GET', path);
      if (m === undefined) throw new NotFound('page not found');
      if (m === 'method') {
        throw Object.assign(new NotFound(`${req.method} ${path} not allowed`), {});
      }
      ctx.params = m.params;
      this.log.debug(`${req.method} ${req.url}`);
      await m.handler(ctx);
    } catch (err) {
      if (!(err instanceof Error) || !('kind' in err)) this.log.error(`${req.method} ${req.url}: ${(err as Error)?.stack ?? err}`);
      else this.log.debug(`${req.method} ${req.url}: ${(err as Error).message}`);
      if (upgrade && res.headersSent) upgrade.socket.destroy();
      else writeError(res, err);
    }
  }
}

export function compareVersions(a: string, b: string): number {
  const [a1, a2] = a.split('.').map(Number);
  const [b1, b2] = b.split('.').map(Number);
  return a1! - b1! || a2! - b2!;
}

export type { RequestContext };
