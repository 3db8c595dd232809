// The Engine API client the berth CLI uses: HTTP/1.1 over a unix socket (or plain TCP), API version
// negotiation through /_ping, JSON requests, daemon error bodies turned into Docker's error texts,
// JSON-message streams and hijacked (Upgrade: tcp) connections for attach and exec.

import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { ClientTls } from './tls.js';
import type { Duplex, Readable } from 'node:stream';
import { renderJSONMessages, type JSONMessage } from './jsonmessage.js';
import { StatusError } from './status-error.js';

/** The newest API version this client speaks; negotiation can only lower it. */
export const CLIENT_API_VERSION = '1.50';
export const DEFAULT_HOST = 'unix:///run/berth.sock';

/** An error answer from the daemon: printed as "Error response from daemon: <message>". */
export class DaemonError extends Error {
  constructor(
    readonly statusCode: number,
    readonly daemonMessage: string,
  ) {
    super(`Error response from daemon: ${daemonMessage}`);
    this.name = 'DaemonError';
  }
}

/** The daemon could not be reached at all. */
export class ConnectionError extends Error {
  constructor(host: string, options?: { cause?: unknown }) {
    super(`Cannot connect to the Berth daemon at ${host}. Is the berth daemon running?`, options);
    this.name = 'ConnectionError';
  }
}

export type QueryValue = string | number | boolean | undefined | null | readonly string[];

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  /** A plain value is sent as JSON; a Buffer or stream is sent as is. */
  body?: unknown;
  headers?: Record<string, string>;
  /** false for Berth-only or version-less paths such as /_ping. */
  versioned?: boolean;
}

export interface PingInfo {
  apiVersion: string;
  osType: string;
  experimental: boolean;
  swarm: string;
}

export type { JSONMessage } from './jsonmessage.js';

interface Endpoint {
  socketPath?: string;
  host?: string;
  port?: number;
}

function parseHost(host: string, tls = false): Endpoint {
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host.startsWith('tcp://') || host.startsWith('http://')) {
    const u = new URL(host.replace(/^tcp:/, 'http:'));
    return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || (tls ? 2376 : 2375)) };
  }
  if (host.startsWith('/')) return { socketPath: host };
  throw new Error(`unable to parse docker host \`${host}\``);
}

/** -H/--host first, then BERTH_HOST, then DOCKER_HOST, then the default socket. */
export function resolveHost(flagHost: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flagHost || env.BERTH_HOST || env.DOCKER_HOST || DEFAULT_HOST;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Go url.Values.Encode: keys sorted, empty/undefined values left out here. */
export function encodeQuery(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const key of Object.keys(query).sort()) {
    const v = query[key];
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) {
      for (const item of v as readonly string[]) parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(item)}`);
      continue;
    }
    parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(typeof v === 'boolean' ? (v ? '1' : '0') : String(v))}`);
  }
  return parts.length ? '?' + parts.join('&') : '';
}

/** A whole (small) body: a JSON answer, or a Dockerfile given on stdin. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks);
}

export class EngineClient {
  private readonly endpoint: Endpoint;
  private readonly agent: http.Agent;
  /** TLS options every request carries (node:https), or undefined for plain HTTP. */
  private readonly tls: Pick<https.RequestOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized'> | undefined;
  private version: string | undefined;
  private negotiation: Promise<void> | undefined;
  private pingInfo: PingInfo | undefined;

  /** version: a fixed API version (DOCKER_API_VERSION); otherwise negotiated on first use. */
  constructor(
    readonly host: string,
    options: { version?: string; tls?: ClientTls } = {},
  ) {
    this.endpoint = parseHost(host, options.tls !== undefined);
    this.version = options.version;
    const t = options.tls;
    // A unix socket is already protected by its file mode: TLS applies to TCP only, as in docker/cli.
    this.tls = t && this.endpoint.socketPath === undefined ? { ca: t.ca, cert: t.cert, key: t.key, rejectUnauthorized: t.verify } : undefined;
    this.agent = this.tls ? new https.Agent({ keepAlive: true, maxSockets: 8, ...this.tls }) : new http.Agent({ keepAlive: true, maxSockets: 8 });
  }

  static fromEnvironment(flagHost?: string, env: NodeJS.ProcessEnv = process.env, tls?: ClientTls): EngineClient {
    return new EngineClient(resolveHost(flagHost, env), { version: env.BERTH_API_VERSION || env.DOCKER_API_VERSION || undefined, tls });
  }

  /** The API version requests use (after negotiation, when it has happened). */
  get apiVersion(): string {
    return this.version ?? CLIENT_API_VERSION;
  }

  close(): void {
    this.agent.destroy();
  }

  /** A raw byte stream to the daemon's socket (TLS when configured): what `system dial-stdio` pipes. */
  dial(): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const e = this.endpoint;
      const sock = e.socketPath !== undefined
        ? net.connect(e.socketPath)
        : this.tls
          ? tls.connect({ host: e.host, port: e.port, servername: net.isIP(e.host ?? '') ? undefined : e.host, ...this.tls })
          : net.connect(e.port ?? 2375, e.host);
      sock.once(this.tls && e.socketPath === undefined ? 'secureConnect' : 'connect', () => {
        sock.off('error', onError);
        resolve(sock);
      });
      const onError = (err: Error) => reject(this.connectionError(err));
      sock.once('error', onError);
    });
  }

  private raw(method: string, path: string, opts: RequestOptions & { upgrade?: boolean }): http.ClientRequest {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    let payload: Buffer | Readable | undefined;
    const body = opts.body;
    if (body !== undefined) {
      if (Buffer.isBuffer(body)) payload = body;
      else if (body && typeof (body as Readable).pipe === 'function') payload = body as Readable;
      else {
        payload = Buffer.from(JSON.stringify(body));
        headers['Content-Type'] ??= 'application/json';
      }
    }
    if (Buffer.isBuffer(payload)) headers['Content-Length'] = String(payload.length);
    if (opts.upgrade) {
      headers.Connection = 'Upgrade';
      headers.Upgrade = 'tcp';
    }
    const prefix = opts.versioned === false ? '' : `/v${this.apiVersion}`;
    const req = (this.tls ? https : http).request({
      ...this.endpoint,
      ...(this.tls ?? {}),
      host: this.endpoint.host ?? 'localhost',
      method,
      path: prefix + path + encodeQuery(opts.query),
      headers: { 'User-Agent': `berth-cli/${CLIENT_API_VERSION}`, ...headers },
      agent: opts.upgrade ? false : this.agent,
    });
    if (payload === undefined) req.end();
    else if (Buffer.isBuffer(payload)) req.end(payload);
    else (payload as Readable).pipe(req);
    return req;
  }

  private connectionError(err: unknown): Error {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'EACCES' || code === 'ECONNRESET' || code === 'EHOSTUNREACH') {
      return new ConnectionError(this.host, { cause: err });
    }
    return err instanceof Error ? err : new Error(String(err));
  }

  private async errorFromResponse(res: http.IncomingMessage): Promise<DaemonError> {
    const text = (await readAll(res)).toString();
    let message = text.trim();
    if ((res.headers['content-type'] ?? '').includes('json') || message.startsWith('{')) {
      try {
        const parsed = JSON.parse(text) as { message?: string };
        if (typeof parsed.message === 'string') message = parsed.message;
      } catch {
        // Not JSON after all: the raw text is the best message there is.
      }
    }
    if (message === '') message = `received unexpected HTTP status: ${res.statusCode} ${res.statusMessage ?? ''}`.trim();
    return new DaemonError(res.statusCode ?? 0, message);
  }

  private send(method: string, path: string, opts: RequestOptions): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = this.raw(method, path, opts);
      req.on('error', (err) => reject(this.connectionError(err)));
      req.on('response', resolve);
    });
  }

  /** HEAD /_ping (GET when HEAD is refused): the daemon's API version, OS and swarm state. */
  async ping(): Promise<PingInfo> {
    let res = await this.send('HEAD', '/_ping', { versioned: false });
    res.resume();
    if ((res.statusCode ?? 500) >= 400 && res.statusCode !== 500) {
      res = await this.send('GET', '/_ping', { versioned: false });
      res.resume();
    }
    const h = res.headers;
    const info: PingInfo = {
      apiVersion: (h['api-version'] as string | undefined) ?? '',
      osType: (h['ostype'] as string | undefined) ?? '',
      experimental: h['docker-experimental'] === 'true',
      swarm: (h['swarm'] as string | undefined) ?? '',
    };
    this.pingInfo = info;
    return info;
  }

  /**
   * Lowers the client's version to the daemon's: with no Api-Version header the daemon is assumed
   * to be 1.24, as docker/cli does. A fixed version (DOCKER_API_VERSION) is never changed.
   */
  negotiate(): Promise<void> {
    if (this.version !== undefined && this.negotiation === undefined) return Promise.resolve();
    this.negotiation ??= (async () => {
      const info = await this.ping();
      const server = info.apiVersion || '1.24';
      this.version = compareVersions(server, CLIENT_API_VERSION) < 0 ? server : CLIENT_API_VERSION;
    })();
    return this.negotiation;
  }

  async serverOS(): Promise<string> {
    if (!this.pingInfo) await this.ping();
    return this.pingInfo!.osType || 'linux';
  }

  /** A request whose 2xx response is returned for streaming; >= 400 throws DaemonError. */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<http.IncomingMessage> {
    if (opts.versioned !== false) await this.negotiate();
    const res = await this.send(method, path, opts);
    if ((res.statusCode ?? 500) >= 400) throw await this.errorFromResponse(res);
    return res;
  }

  /**
   * Sends a request and resolves once it is written or its headers arrived; the answer is awaited
   * separately. `run` needs this: its wait request must reach the daemon before start.
   */
  async begin(method: string, path: string, opts: RequestOptions = {}): Promise<{ response: Promise<http.IncomingMessage> }> {
    if (opts.versioned !== false) await this.negotiate();
    const req = this.raw(method, path, opts);
    let onSent!: () => void;
    const sent = new Promise<void>((r) => (onSent = r));
    req.on('finish', () => setTimeout(onSent, 20));
    const response = new Promise<http.IncomingMessage>((resolve, reject) => {
      req.on('error', (err) => {
        onSent();
        reject(this.connectionError(err));
      });
      req.on('response', (res) => {
        onSent();
        if ((res.statusCode ?? 500) >= 400) this.errorFromResponse(res).then(reject, reject);
        else resolve(res);
      });
    });
    response.catch(() => {});
    await sent;
    return { response };
  }

  /** A request with a JSON answer (or none: 204 gives undefined). */
  async json<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.request(method, path, opts);
    const text = (await readAll(res)).toString();
    if (text.trim() === '') return undefined as T;
    return JSON.parse(text) as T;
  }

  /**
   * A hijacked connection (attach, exec start): sends Upgrade: tcp, expects 101 Switching
   * Protocols, then hands back the raw socket with any bytes that arrived with the headers.
   */
  async hijack(method: string, path: string, opts: RequestOptions = {}): Promise<Duplex> {
    if (opts.versioned !== false) await this.negotiate();
    return new Promise((resolve, reject) => {
      const req = this.raw(method, path, { ...opts, upgrade: true });
      req.on('error', (err) => reject(this.connectionError(err)));
      req.on('upgrade', (_res, socket, head) => {
        if (head.length) socket.unshift(head);
        resolve(socket);
      });
      req.on('response', (res) => {
        if ((res.statusCode ?? 500) >= 400) {
          this.errorFromResponse(res).then(reject, reject);
        } else {
          // A daemon that answers 200 without upgrading streams output in the body only.
          resolve(res.socket as Duplex);
        }
      });
    });
  }
}

/** The non-empty lines of a newline-delimited JSON stream (events, progress), as they arrive. */
export async function* ndjsonLines(stream: Readable): AsyncGenerator<string> {
  let buf = '';
  for await (const chunk of stream) {
    buf += (chunk as Buffer).toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) yield line;
    }
  }
  if (buf.trim()) yield buf.trim();
}

/** Reads a newline-delimited JSON-message stream message by message. */
export async function* jsonMessages(stream: Readable): AsyncGenerator<JSONMessage> {
  for await (const line of ndjsonLines(stream)) yield JSON.parse(line) as JSONMessage;
}

/**
 * Prints a JSON-message stream as the docker CLI does: per-layer progress lines redrawn in place
 * when `out` is a terminal, plain lines otherwise; an error message in the stream ends it with that error.
 */
export async function displayJSONMessages(stream: Readable, out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }): Promise<JSONMessage[]> {
  return renderJSONMessages(jsonMessages(stream), out, { isTerminal: out.isTTY === true, width: out.isTTY ? (out.columns ?? 0) : 0 });
}

/**
 * displayJSONMessages for pull, push, load and build, whose stream is their outcome: an error in
 * it fails the command with exit 1. Without `out` (--quiet) the messages are read but not shown.
 */
export async function showProgress(stream: Readable, out?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }): Promise<JSONMessage[]> {
  try {
    return await displayJSONMessages(stream, out ?? ({ write: () => true } as unknown as NodeJS.WritableStream));
  } catch (err) {
    throw new StatusError((err as Error).message, 1);
  }
}
