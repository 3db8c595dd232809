// The registry's HTTP server: the routes of the OCI distribution spec v1.1 (plus distribution's
// _catalog) over RegistryStorage. Handlers decode the request, call storage and encode the
// answer; every failure leaves as a RegistryError in the spec's JSON error body.
import { sendFileRange } from './send-file.js';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { promises as fs } from 'node:fs';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { RegistryError } from './errcode.js';
import { RegistryStorage, parseDigest } from './storage.js';
import { parseManifest, MEDIA_TYPES, type Descriptor } from './manifest.js';
import { DEFAULT_CONFIG, type RegistryConfig } from './config.js';
import { HtpasswdAuth } from './auth.js';
import { TokenAuth, accessFor } from './token-auth.js';

export interface RunningRegistry {
  url: string;
  close(): Promise<void>;
}

// The spec's repository name grammar; distribution also caps the whole name at 255 characters.
const NAME_RE = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG_RE = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

export function validRepositoryName(name: string): boolean {
  return name.length <= 255 && NAME_RE.test(name);
}

type Handler = (ctx: Ctx) => Promise<void>;
interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  name: string;
  ref: string;
}

export async function startRegistry(
  partial: Partial<RegistryConfig> & { log?: (line: string) => void },
): Promise<RunningRegistry> {
  const config: RegistryConfig = { ...DEFAULT_CONFIG, ...partial };
  const log = partial.log ?? (() => undefined);
  const storage = new RegistryStorage(config.root);
  await fs.mkdir(storage.base, { recursive: true });
  const token = config.token ? new TokenAuth(config.token) : undefined;
  await token?.load();
  const auth = !token && config.htpasswd ? new HtpasswdAuth(config.htpasswd.realm, config.htpasswd.path) : undefined;
  const api = new RegistryApi(storage, config);

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
    void (async () => {
      if (auth && !(await auth.check(req.headers.authorization))) {
        res.setHeader('WWW-Authenticate', `Basic realm="${auth.realm}"`);
        throw new RegistryError('UNAUTHORIZED');
      }
      if (token) {
        const url = new URL(req.url ?? '/', 'http://registry');
        const needed = accessFor(req.method ?? 'GET', url.pathname, url.searchParams);
        const refused = token.authorize(req.headers.authorization, needed);
        if (refused) {
          res.setHeader('WWW-Authenticate', token.challenge(needed, refused.error));
          throw new RegistryError('UNAUTHORIZED', needed.map((a) => ({ Type: a.type, Name: a.name, Action: a.actions.join(',') })));
        }
      }
      await api.route(req, res);
    })().catch((err: unknown) => {
      const e =
        err instanceof RegistryError
          ? err
          : new RegistryError('UNKNOWN', undefined);
      if (!(err instanceof RegistryError)) log(`error serving ${req.method} ${req.url}: ${(err as Error).stack ?? err}`);
      sendError(req, res, e);
    });
  };

  const server = config.tls
    ? https.createServer(
        { cert: await fs.readFile(config.tls.certificate), key: await fs.readFile(config.tls.key) },
        handler,
      )
    : http.createServer(handler);
  const { host, port } = splitAddr(config.addr);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = !host || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `${config.tls ? 'https' : 'http'}://${shownHost}:${addr.port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function splitAddr(addr: string): { host: string | undefined; port: number } {
  const i = addr.lastIndexOf(':');
  const hostPart = i >= 0 ? addr.slice(0, i) : '';
  const port = Number(i >= 0 ? addr.slice(i + 1) : addr);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid listen address: ${addr}`);
  const host = hostPart.replace(/^\[(.*)\]$/, '$1');
  return { host: host || undefined, port };
}

function sendError(req: IncomingMessage, res: ServerResponse, e: RegistryError): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  // An error answered before the body was read: drop the rest rather than wait for it.
  if (!req.readableEnded) res.setHeader('Connection', 'close');
  const body = e.body();
  res.writeHead(e.status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
  if (!req.readableEnded) req.resume();
}

class RegistryApi {
  constructor(
    private readonly storage: RegistryStorage,
    private readonly config: RegistryConfig,
  ) {}

  private readonly routes: [RegExp, Record<string, Handler>][] = [
    [/^\/v2\/(.+)\/tags\/list$/, { GET: (c) => this.listTags(c) }],
    [
      /^\/v2\/(.+)\/manifests\/([^/]+)$/,
      {
        GET: (c) => this.getManifest(c),
        HEAD: (c) => this.getManifest(c),
        PUT: (c) => this.putManifest(c),
        DELETE: (c) => this.deleteManifest(c),
      },
    ],
    [/^\/v2\/(.+)\/blobs\/uploads\/?()$/, { POST: (c) => this.startUpload(c) }],
    [
      /^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/,
      {
        GET: (c) => this.uploadStatus(c),
        HEAD: (c) => this.uploadStatus(c),
        PATCH: (c) => this.patchUpload(c),
        PUT: (c) => this.finishUpload(c),
        DELETE: (c) => this.cancelUpload(c),
      },
    ],
    [
      /^\/v2\/(.+)\/blobs\/([^/]+)$/,
      { GET: (c) => this.getBlob(c), HEAD: (c) => this.getBlob(c), DELETE: (c) => this.deleteBlob(c) },
    ],
    [/^\/v2\/(.+)\/referrers\/([^/]+)$/, { GET: (c) => this.referrers(c) }],
  ];

  async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://registry.invalid');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (path === '/v2/' || path === '/v2') {
      if (method !== 'GET' && method !== 'HEAD') throw new RegistryError('UNSUPPORTED');
      return json(req, res, 200, {});
    }
    if (path === '/v2/_catalog') {
      if (method !== 'GET') throw new RegistryError('UNSUPPORTED');
      return this.catalog(req, res, url);
    }
    for (const [re, methods] of this.routes) {
      const m = re.exec(path);
      if (!m) continue;
      const name = decode(m[1]);
      if (!validRepositoryName(name)) throw new RegistryError('NAME_INVALID', { name });
      const h = methods[method];
      if (!h) throw new RegistryError('UNSUPPORTED');
      return h({ req, res, url, name, ref: decode(m[2] ?? '') });
    }
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(method === 'HEAD' ? undefined : '404 page not found\n');
  }

  // ---- content discovery -------------------------------------------------------------------

  private async catalog(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const max = this.config.catalogMaxEntries;
    let n = max;
    const nParam = url.searchParams.get('n');
    if (nParam !== null && nParam !== '') {
      n = parseCount(nParam);
      if (n > max) throw new RegistryError('PAGINATION_NUMBER_INVALID', { n });
    }
    const last = url.searchParams.get('last') ?? '';
    const all = (await this.storage.repositories()).filter((r) => !last || r > last);
    const page = all.slice(0, n);
    if (n > 0 && all.length > n) res.setHeader('Link', nextLink('/v2/_catalog', page[page.length - 1], n));
    return json(req, res, 200, { repositories: page });
  }

  private async listTags({ req, res, url, name }: Ctx): Promise<void> {
    const tags = await this.storage.tags(name);
    if (!tags) throw new RegistryError('NAME_UNKNOWN', { name });
    const last = url.searchParams.get('last') ?? '';
    let list = last ? tags.filter((t) => t > last) : tags;
    const nParam = url.searchParams.get('n');
    if (nParam !== null && nParam !== '') {
      const n = parseCount(nParam);
      if (n > 0 && n < list.length) res.setHeader('Link', nextLink(`/v2/${name}/tags/list`, list[n - 1], n));
      list = list.slice(0, n);
    }
    return json(req, res, 200, { name, tags: list });
  }

  private async referrers({ req, res, url, name, ref }: Ctx): Promise<void> {
    if (!parseDigest(ref)) throw new RegistryError('DIGEST_INVALID', { digest: ref });
    const artifactType = url.searchParams.get('artifactType');
    const manifests: Descriptor[] = [];
    for (const digest of await this.storage.referrers(name, ref)) {
      const data = await this.storage.readManifest(name, digest);
      if (!data) continue;
      const m = parseManifest(data);
      if (artifactType && m.artifactType !== artifactType) continue;
      const d: Descriptor = { mediaType: m.mediaType, digest, size: data.length };
      if (m.artifactType) d.artifactType = m.artifactType;
      if (m.annotations) d.annotations = m.annotations;
      manifests.push(d);
    }
    if (artifactType) res.setHeader('OCI-Filters-Applied', 'artifactType');
    const body = JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests });
    res.writeHead(200, { 'Content-Type': MEDIA_TYPES.ociIndex, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }

  // ---- manifests ---------------------------------------------------------------------------

  private async resolve(name: string, ref: string): Promise<string | undefined> {
    if (parseDigest(ref)) return ref;
    if (!TAG_RE.test(ref)) return undefined;
    return this.storage.resolveTag(name, ref);
  }

  private async getManifest({ req, res, name, ref }: Ctx): Promise<void> {
    if (!parseDigest(ref) && !TAG_RE.test(ref)) throw new RegistryError('MANIFEST_UNKNOWN', { tag: ref });
    const digest = await this.resolve(name, ref);
    const data = digest && (await this.storage.readManifest(name, digest));
    if (!digest || !data) throw new RegistryError('MANIFEST_UNKNOWN', parseDigest(ref) ? { digest: ref } : { tag: ref });
    const { mediaType } = parseManifest(data);
    const accepts = acceptList(req);
    if (accepts.length && !accepts.includes('*/*') && !accepts.includes(mediaType)) {
      const what = mediaType === MEDIA_TYPES.ociIndex || mediaType === MEDIA_TYPES.dockerList ? 'index' : 'manifest';
      throw new RegistryError('MANIFEST_UNKNOWN', `${mediaType} ${what} found, but accept header does not support it`);
    }
    const etag = `"${digest}"`;
    const headers = {
      'Content-Type': mediaType,
      'Docker-Content-Digest': digest,
      ETag: etag,
      'Content-Length': data.length,
    };
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : data);
  }

  private async putManifest({ req, res, name, ref }: Ctx): Promise<void> {
    const byDigest = parseDigest(ref);
    if (!byDigest && !TAG_RE.test(ref)) throw new RegistryError('TAG_INVALID', { tag: ref });
    const data = await readLimited(req, this.config.maxManifestBytes);
    const digest = 'sha256:' + createHash('sha256').update(data).digest('hex');
    if (byDigest) {
      const actual = `${byDigest.algorithm}:${createHash(byDigest.algorithm).update(data).digest('hex')}`;
      if (actual !== ref) throw new RegistryError('DIGEST_INVALID', { digest: ref });
    }
    const canonical = byDigest ? ref : digest;
    const m = parseManifest(data, req.headers['content-type']);
    for (const blob of m.blobs) {
      if ((await this.storage.repoBlobSize(name, blob)) === undefined) {
        throw new RegistryError('MANIFEST_BLOB_UNKNOWN', { digest: blob });
      }
    }
    for (const child of m.manifests) {
      if (!(await this.storage.hasManifest(name, child))) throw new RegistryError('MANIFEST_BLOB_UNKNOWN', { digest: child });
    }
    await this.storage.putManifest(name, canonical, data, byDigest ? undefined : ref, m.subject?.digest);
    const headers: Record<string, string> = {
      Location: `/v2/${name}/manifests/${canonical}`,
      'Docker-Content-Digest': canonical,
      'Content-Length': '0',
    };
    if (m.subject) headers['OCI-Subject'] = m.subject.digest;
    res.writeHead(201, headers);
    res.end();
  }

  private async deleteManifest({ res, name, ref }: Ctx): Promise<void> {
    if (!this.config.deleteEnabled) throw new RegistryError('UNSUPPORTED');
    if (parseDigest(ref)) {
      if (!(await this.storage.deleteManifest(name, ref))) throw new RegistryError('MANIFEST_UNKNOWN', { digest: ref });
    } else {
      if (!TAG_RE.test(ref) || !(await this.storage.untag(name, ref))) throw new RegistryError('MANIFEST_UNKNOWN', { tag: ref });
    }
    res.writeHead(202, { 'Content-Length': '0' });
    res.end();
  }

  // ---- blobs -------------------------------------------------------------------------------

  private async getBlob({ req, res, name, ref }: Ctx): Promise<void> {
    if (!parseDigest(ref)) throw new RegistryError('DIGEST_INVALID', { digest: ref });
    const size = await this.storage.repoBlobSize(name, ref);
    if (size === undefined) throw new RegistryError('BLOB_UNKNOWN', { digest: ref });
    const etag = `"${ref}"`;
    const base = {
      'Content-Type': 'application/octet-stream',
      'Docker-Content-Digest': ref,
      ETag: etag,
      'Accept-Ranges': 'bytes',
      'Cache-Control': 'max-age=31536000',
    };
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, base);
      res.end();
      return;
    }
    let start = 0;
    let end = size - 1;
    let status = 200;
    const range = req.headers.range;
    if (range) {
      const r = parseRange(range, size);
      if (!r) {
        res.writeHead(416, { ...base, 'Content-Range': `bytes */${size}`, 'Content-Length': 0 });
        res.end();
        return;
      }
      [start, end] = r;
      status = 206;
      res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
    }
    res.writeHead(status, { ...base, 'Content-Length': end - start + 1 < 0 ? 0 : end - start + 1 });
    if (req.method === 'HEAD' || size === 0) {
      res.end();
      return;
    }
    await sendFileRange(res, this.storage.blobPath(ref), start, end);
  }

  private async deleteBlob({ res, name, ref }: Ctx): Promise<void> {
    if (!this.config.deleteEnabled) throw new RegistryError('UNSUPPORTED');
    if (!parseDigest(ref)) throw new RegistryError('DIGEST_INVALID', { digest: ref });
    if (!(await this.storage.unlinkBlob(name, ref))) throw new RegistryError('BLOB_UNKNOWN', { digest: ref });
    res.writeHead(202, { 'Content-Length': '0' });
    res.end();
  }

  // ---- uploads -----------------------------------------------------------------------------

  private async startUpload({ req, res, url, name }: Ctx): Promise<void> {
    const mount = url.searchParams.get('mount');
    const from = url.searchParams.get('from');
    if (mount && from && parseDigest(mount) && validRepositoryName(from)) {
      if ((await this.storage.repoBlobSize(from, mount)) !== undefined) {
        await this.storage.linkBlob(name, mount);
        req.resume();
        return blobCreated(res, name, mount);
      }
    }
    const digest = url.searchParams.get('digest');
    const uuid = await this.storage.createUpload(name);
    if (digest) {
      // Monolithic upload: the whole blob is this request's body.
      if (!parseDigest(digest)) {
        await this.storage.cancelUpload(name, uuid);
        throw new RegistryError('DIGEST_INVALID', { digest });
      }
      try {
        await this.storage.appendUpload(name, uuid, req);
        await this.storage.commitUpload(name, uuid, digest);
      } catch (err) {
        await this.storage.cancelUpload(name, uuid);
        throw err;
      }
      return blobCreated(res, name, digest);
    }
    req.resume();
    res.writeHead(202, uploadHeaders(name, uuid, 0));
    res.end();
  }

  private async uploadStatus({ res, name, ref }: Ctx): Promise<void> {
    const size = await this.storage.uploadSize(name, ref);
    if (size === undefined) throw new RegistryError('BLOB_UPLOAD_UNKNOWN', { uuid: ref });
    res.writeHead(204, uploadHeaders(name, ref, size));
    res.end();
  }

  private async patchUpload({ req, res, name, ref }: Ctx): Promise<void> {
    const start = checkContentRange(req);
    const size = await this.storage.appendUpload(name, ref, req, start);
    res.writeHead(202, uploadHeaders(name, ref, size));
    res.end();
  }

  private async finishUpload({ req, res, url, name, ref }: Ctx): Promise<void> {
    const digest = url.searchParams.get('digest');
    if (!digest || !parseDigest(digest)) {
      if ((await this.storage.uploadSize(name, ref)) === undefined) throw new RegistryError('BLOB_UPLOAD_UNKNOWN', { uuid: ref });
      throw new RegistryError('DIGEST_INVALID', digest ? { digest } : 'digest missing');
    }
    const start = checkContentRange(req);
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (hasBody) await this.storage.appendUpload(name, ref, req, start);
    else req.resume();
    await this.storage.commitUpload(name, ref, digest);
    blobCreated(res, name, digest);
  }

  private async cancelUpload({ res, name, ref }: Ctx): Promise<void> {
    if (!(await this.storage.cancelUpload(name, ref))) throw new RegistryError('BLOB_UPLOAD_UNKNOWN', { uuid: ref });
    res.writeHead(204, { 'Content-Length': '0' });
    res.end();
  }
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    // malformed escapes cannot be a valid name, tag or digest
    return '%';
  }
}

function blobCreated(res: ServerResponse, name: string, digest: string): void {
  res.writeHead(201, { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest, 'Content-Length': '0' });
  res.end();
}

function uploadHeaders(name: string, uuid: string, size: number): Record<string, string> {
  return {
    Location: `/v2/${name}/blobs/uploads/${uuid}`,
    // distribution reports an empty upload as 0-0 too
    Range: `0-${size > 0 ? size - 1 : 0}`,
    'Docker-Upload-UUID': uuid,
    'Content-Length': '0',
  };
}

/** Start offset of a chunk from its Content-Range (`start-end`, as the spec writes it). */
function checkContentRange(req: IncomingMessage): number | undefined {
  const cr = req.headers['content-range'];
  if (!cr) return undefined;
  const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(cr.trim());
  if (!m) throw new RegistryError('RANGE_INVALID', { 'content-range': cr });
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start) throw new RegistryError('RANGE_INVALID', { 'content-range': cr });
  const cl = req.headers['content-length'];
  if (cl !== undefined && Number(cl) !== end - start + 1) {
    throw new RegistryError('SIZE_INVALID', { 'content-range': cr, 'content-length': cl });
  }
  return start;
}

/** A single `bytes=` range resolved against `size`; undefined when unsatisfiable. */
function parseRange(header: string, size: number): [number, number] | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return undefined;
    return [Math.max(0, size - suffix), size - 1];
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return undefined;
  return [start, end];
}

function parseCount(v: string): number {
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new RegistryError('PAGINATION_NUMBER_INVALID', { n: v });
  return Number(v);
}

function nextLink(path: string, last: string, n: number): string {
  return `<${path}?last=${encodeURIComponent(last)}&n=${n}>; rel="next"`;
}

function acceptList(req: IncomingMessage): string[] {
  const raw = req.headers.accept;
  if (!raw) return [];
  return raw
    .split(',')
    .map((s) => s.split(';')[0].trim())
    .filter(Boolean);
}

function readLimited(req: IncomingMessage, limit: number): Promise<Buffer> {
  // Not a for-await loop: leaving one early destroys the socket before the 413 can be sent.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > limit) {
        req.off('data', onData);
        req.pause();
        reject(new RegistryError('MANIFEST_INVALID', `manifest exceeds the limit of ${limit} bytes`, 413));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function json(req: IncomingMessage, res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}
