// Request and response helpers for route handlers: JSON bodies, query parsing as Docker's API
// defines it (1/true booleans, JSON-encoded filters), and hijacking the connection for raw streams.
import type { RequestContext } from './router.js';
import type { Duplex } from 'node:stream';
import { InvalidParameter } from '../lib/errors.js';

const MAX_JSON_BODY = 16 * 1024 * 1024;

export async function readBody(ctx: RequestContext): Promise<Buffer> {
  if (ctx.upgrade) return readUpgradeBody(ctx);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of ctx.req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_JSON_BODY) throw new InvalidParameter('request body too large');
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** In an upgrade request, the body shares the socket with the stream that follows it. */
async function readUpgradeBody(ctx: RequestContext): Promise<Buffer> {
  const up = ctx.upgrade!;
  const len = Number(ctx.req.headers['content-length'] ?? 0);
  let buf = up.head;
  while (buf.length < len) {
    const chunk = await new Promise<Buffer | null>((resolve) => {
      const onData = (d: Buffer) => {
        up.socket.pause();
        cleanup();
        resolve(d);
      };
      const onEnd = () => {
        cleanup();
        resolve(null);
      };
      const cleanup = () => {
        up.socket.off('data', onData);
        up.socket.off('end', onEnd);
      };
      up.socket.on('data', onData);
      up.socket.on('end', onEnd);
      up.socket.resume();
    });
    if (!chunk) break;
    buf = Buffer.concat([buf, chunk]);
  }
  up.head = buf.subarray(len);
  return buf.subarray(0, len);
}

export async function readJson<T>(ctx: RequestContext, optional = false): Promise<T> {
  const body = await readBody(ctx);
  if (body.length === 0) {
    if (optional) return {} as T;
    throw new InvalidParameter('missing request body');
  }
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch (err) {
    throw new InvalidParameter(`invalid JSON: ${(err as Error).message}`);
  }
}

export function sendJson(ctx: RequestContext, status: number, value: unknown): void {
  const body = JSON.stringify(value) + '\n';
  ctx.res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  ctx.res.end(body);
}

export function sendStatus(ctx: RequestContext, status: number): void {
  ctx.res.writeHead(status);
  ctx.res.end();
}

export function qBool(q: URLSearchParams, name: string, dflt = false): boolean {
  const v = q.get(name);
  if (v === null || v === '') return dflt;
  return v === '1' || v.toLowerCase() === 'true';
}

export function qInt(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidParameter(`invalid value for ${name}: ${v}`);
  return n;
}

/** Docker filters: JSON `{"key": ["v1", "v2"]}` or the legacy `{"key": {"v1": true}}`. */
export function qFilters(q: URLSearchParams): Map<string, string[]> {
  const raw = q.get('filters');
  const out = new Map<string, string[]>();
  if (!raw) return out;
  let parsed: Record<string, string[] | Record<string, boolean>>;
  try {
    parsed = JSON.parse(raw) as typeof parsed;
  } catch {
    throw new InvalidParameter(`invalid filter: ${raw}`);
  }
  for (const [k, v] of Object.entries(parsed)) {
    out.set(k, Array.isArray(v) ? v.map(String) : Object.keys(v).filter((x) => v[x]));
  }
  return out;
}

/**
 * Takes over the connection for a raw stream (attach, exec start). With `Upgrade: tcp` the
 * answer is 101; otherwise Docker still hijacks after a 200 header.
 */
export function hijack(ctx: RequestContext, tty: boolean): Duplex {
  const contentType = tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream';
  if (ctx.upgrade) {
    const { socket } = ctx.upgrade;
    socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
    if (ctx.upgrade.head.length) socket.unshift(ctx.upgrade.head);
    return socket;
  }
  const socket = ctx.req.socket;
  ctx.res.detachSocket(socket);
  socket.write(`HTTP/1.1 200 OK\r\nContent-Type: ${contentType}\r\n\r\n`);
  return socket;
}
