// One HTTP exchange with a registry over node:http/https: streaming bodies, redirects for reads
// (blob storage may live elsewhere; credentials stay with the registry's host), TLS verification
// off only for insecure registries, and a stall timeout so a dead peer fails instead of hanging.
import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';

export interface SendOptions {
  method?: string;
  headers?: OutgoingHttpHeaders;
  body?: Buffer | Readable;
  /** Skip TLS certificate verification (insecure registries). */
  insecureTls?: boolean;
  /** Socket inactivity limit in ms. */
  idleTimeout?: number;
}

const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 16 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 16 }),
};

export class TransportError extends Error {}

export function send(url: URL, o: SendOptions = {}, redirects = 0): Promise<IncomingMessage> {
  const method = o.method ?? 'GET';
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise<IncomingMessage>((resolve, reject) => {
    const req = mod.request(
      url,
      {
        method,
        headers: o.headers,
        agent: url.protocol === 'https:' ? agents.https : agents.http,
        rejectUnauthorized: !o.insecureTls,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if ([301, 302, 303, 307, 308].includes(status) && res.headers.location && (method === 'GET' || method === 'HEAD') && redirects < 5) {
          res.resume();
          const next = new URL(res.headers.location, url);
          const headers = { ...o.headers };
          if (next.host !== url.host) delete headers.authorization;
          send(next, { ...o, headers }, redirects + 1).then(resolve, reject);
          return;
        }
        resolve(res);
      },
    );
    req.setTimeout(o.idleTimeout ?? 30_000, () => req.destroy(new TransportError(`${method} ${url.href}: timed out`)));
    req.on('error', (err) => reject(new TransportError(`${method} "${url.href}": ${err.message}`, { cause: err })));
    if (!o.body) req.end();
    else if (Buffer.isBuffer(o.body)) req.end(o.body);
    else {
      o.body.on('error', (err) => req.destroy(err));
      o.body.pipe(req);
    }
  });
}

export async function readAll(res: IncomingMessage, limit = 8 << 20): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of res as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) {
      res.destroy();
      throw new TransportError(`response larger than ${limit} bytes`);
    }
    parts.push(c);
  }
  return Buffer.concat(parts);
}

/** The spec's error body, `{"errors":[{"code","message","detail"}]}`, as one line. */
export async function errorText(res: IncomingMessage): Promise<{ code?: string; text: string }> {
  const body = await readAll(res, 1 << 20).catch(() => Buffer.alloc(0));
  try {
    const parsed = JSON.parse(body.toString()) as { errors?: { code?: string; message?: string }[] };
    const first = parsed.errors?.[0];
    if (first) return { code: first.code, text: `${(first.code ?? 'unknown').toLowerCase().replace(/_/g, ' ')}: ${first.message ?? ''}`.trim() };
  } catch {
    // not JSON
  }
  const text = body.toString().trim().slice(0, 200);
  return { text: text || `${res.statusCode} ${res.statusMessage ?? ''}`.trim() };
}
