// readBlob against a local server that misbehaves the way networks and registries do: connections
// cut mid-body, Range ignored, more bytes than the manifest declares, missing blobs, a dead peer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { readBlob } from '../../../src/distribution/client/blob-reader.js';
import { RegistrySession } from '../../../src/distribution/client/session.js';
import { NotFound, InvalidParameter, Unavailable } from '../../../src/lib/errors.js';

const DIGEST = 'sha256:' + 'a'.repeat(64);
const blob = randomBytes(3 << 20);

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void;

async function withServer(handler: Handler, fn: (session: RegistrySession, requests: http.IncomingMessage[]) => Promise<void>): Promise<void> {
  const requests: http.IncomingMessage[] = [];
  const server = http.createServer((req, res) => {
    if (req.url === '/v2/') return void res.end('{}');
    requests.push(req);
    handler(req, res, requests.length);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const session = new RegistrySession({ domain: `127.0.0.1:${port}`, url: `http://127.0.0.1:${port}`, insecure: true, mirror: false }, {}, ['repository:r:pull']);
  try {
    await fn(session, requests);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

async function read(session: RegistrySession, size: number | undefined = blob.length, retries = 3): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of readBlob(session, 'r', DIGEST, size, { backoff: () => 5, retries })) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** Serves `blob` from the Range start (206) or whole (200), optionally cutting the connection after `cut` bytes. */
function serve(req: http.IncomingMessage, res: http.ServerResponse, o: { cut?: number; honourRange?: boolean } = {}): void {
  const m = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
  const start = m && o.honourRange !== false ? Number(m[1]) : 0;
  const body = blob.subarray(start);
  res.writeHead(start ? 206 : 200, { 'content-length': body.length });
  if (o.cut === undefined) return void res.end(body);
  res.write(body.subarray(0, o.cut), () => setTimeout(() => res.socket?.destroy(), 20));
}

test('a connection cut mid-body is resumed with Range and the bytes come out whole and in order', async () => {
  await withServer((req, res, n) => serve(req, res, n < 3 ? { cut: 700_001 } : {}), async (session, requests) => {
    const got = await read(session);
    assert.ok(got.equals(blob));
    assert.equal(requests.length, 3);
    assert.equal(requests[1]!.headers.range, 'bytes=700001-');
    assert.equal(requests[2]!.headers.range, 'bytes=1400002-');
  });
});

test('a server that ignores Range and sends everything again does not duplicate bytes', async () => {
  await withServer((req, res, n) => serve(req, res, { honourRange: false, ...(n === 1 ? { cut: 1_000_000 } : {}) }), async (session) => {
    assert.ok((await read(session)).equals(blob));
  });
});

test('a blob larger than its declared size is refused', async () => {
  await withServer((req, res) => serve(req, res), async (session) => {
    await assert.rejects(read(session, blob.length - 1), (err) => err instanceof InvalidParameter && /larger than/.test((err as Error).message));
  });
});

test('a missing blob is NotFound at once, without retries', async () => {
  await withServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry' }] }));
  }, async (session, requests) => {
    await assert.rejects(read(session), NotFound);
    assert.equal(requests.length, 1);
  });
});

test('a peer that keeps cutting without progress is given up after the retries', async () => {
  await withServer((req, res) => serve(req, res, { cut: 0 }), async (session, requests) => {
    await assert.rejects(read(session, blob.length, 2), (err) => err instanceof Unavailable && /gave up after 2 retries/.test((err as Error).message));
    assert.equal(requests.length, 3);
  });
});

test('a consumer that stops early closes the download', async () => {
  await withServer((req, res) => serve(req, res), async (session) => {
    const stream = readBlob(session, 'r', DIGEST, blob.length);
    for await (const _ of stream) break;
    assert.ok(stream.destroyed);
  });
});
