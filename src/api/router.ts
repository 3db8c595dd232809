// A small router for the Engine API: method + path pattern (`/containers/:id/start`), matched
// with or without the `/v1.xx` version prefix that Docker clients send.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { InvalidParameter } from '../lib/errors.js';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** API version the client asked for (from the path), or the server's own. */
  version: string;
  /** Set for requests that arrived as `Upgrade: tcp` (attach, exec start): the raw socket. */
  upgrade?: { socket: Duplex; head: Buffer };
}

export type Handler = (ctx: RequestContext) => Promise<void> | void;

interface Route {
  method: string;
  parts: string[];
  handler: Handler;
}

export class Router {
  private routes: Route[] = [];

  on(method: string, pattern: string, handler: Handler): void {
    this.routes.push({ method, parts: pattern.split('/').filter(Boolean), handler });
  }

  get(p: string, h: Handler): void {
    this.on('GET', p, h);
  }
  post(p: string, h: Handler): void {
    this.on('POST', p, h);
  }
  put(p: string, h: Handler): void {
    this.on('PUT', p, h);
  }
  delete(p: string, h: Handler): void {
    this.on('DELETE', p, h);
  }
  head(p: string, h: Handler): void {
    this.on('HEAD', p, h);
  }

  /** Returns the handler and params, `undefined` when no path matches, or 'method' when only the method is wrong. */
  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | 'method' | undefined {
    const segs = path.split('/').filter(Boolean).map(decodeSegment);
    let pathMatched = false;
    for (const r of this.routes) {
      const params = matchParts(r.parts, segs);
      if (!params) continue;
      pathMatched = true;
      if (r.method === method || (method === 'HEAD' && r.method === 'GET' && !this.hasHead(r.parts))) {
        return { handler: r.handler, params };
      }
    }
    return pathMatched ? 'method' : undefined;
  }

  private hasHead(parts: string[]): boolean {
    return this.routes.some((r) => r.method === 'HEAD' && r.parts.join('/') === parts.join('/'));
  }
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new InvalidParameter(`invalid path segment: ${s}`);
  }
}

function matchParts(parts: string[], segs: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (p === '*') {
      // image names contain slashes: `/images/*name/json` style tails are written as :name* here
      return undefined;
    }
    if (p.startsWith(':') && p.endsWith('*')) {
      // greedy parameter: takes every segment up to the fixed tail
      const tail = parts.slice(i + 1);
      if (segs.length - i < tail.length + 1) return undefined;
      const take = segs.length - tail.length;
      params[p.slice(1, -1)] = segs.slice(i, take).join('/');
      const rest = matchParts(tail, segs.slice(take));
      return rest ? { ...params, ...rest } : undefined;
    }
    const s = segs[i];
    if (s === undefined) return undefined;
    if (p.startsWith(':')) params[p.slice(1)] = s;
    else if (p !== s) return undefined;
  }
  return segs.length === parts.length ? params : undefined;
}

/** Splits `/v1.45/containers/json` into version and path. */
export function stripVersion(path: string): { version?: string; path: string } {
  const m = /^\/v(\d+\.\d+)(\/.*)?$/.exec(path);
  if (!m) return { path };
  return { version: m[1], path: m[2] ?? '/' };
}
