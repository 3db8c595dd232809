// LayerStore.register's apply on worker threads: the same files and diffID as applyLayer in the
// daemon, the input (a stream, or a registry blob the workers download) read to its end and kept
// byte for byte when asked, and every failure (the input's, the tar's, one from before anyone
// listened, a cancel) reported as the first thing that went wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { applyLayerInWorker, downloadToFile, type RemoteBlob } from '../../../src/layers/archive/apply-in-worker.js';
import { DigestStream, DigestMismatch } from '../../../src/layers/archive/digest.js';
import { layerTarStream } from '../../../src/layers/tar-split.js';
import { writeTar } from '../../../src/layers/archive/tar-writer.js';
import { InvalidParameter } from '../../../src/lib/errors.js';
import { withTempDir, collect, sha256, t } from './fixtures.js';

const MiB = 1 << 20;

/** Pieces of every size the pump handles: tiny, just under and over its 64 KiB piece, big. */
function pieces(buf: Buffer): Readable {
  const out: Buffer[] = [];
  for (let off = 0, k = 0; off < buf.length; k++) {
    const n = [1, 65535, 65536, 3 * MiB + 7, 511][k % 5]!;
    // Copies: each piece owns its memory, as a socket or file read does, so big ones are moved.
    out.push(Buffer.from(buf.subarray(off, off + n)));
    off += n;
  }
  return Readable.from(out, { objectMode: false });
}

test('a gzip layer applies on the worker: files, diffID, tar-split and the kept input are exact', async () => {
  await withTempDir(async (dir) => {
    const big = randomBytes(5 * MiB + 3);
    const tar = await collect(writeTar([t.dir('d'), t.file('d/big', big), t.file('d/small', Buffer.from('x')), t.symlink('big', 'd/link')]));
    const gz = gzipSync(tar);
    const layer = join(dir, 'layer');
    const keptAt = join(dir, 'kept');
    const tarSplitPath = join(dir, 'tar-split.json.gz');
    const res = await applyLayerInWorker(pieces(gz), layer, { whiteouts: 'overlay', expectedDiffId: sha256(tar), tarSplitPath, keepInputAt: keptAt });
    assert.equal(res.diffId, sha256(tar));
    assert.ok((await fs.readFile(join(layer, 'd/big'))).equals(big));
    assert.equal(await fs.readlink(join(layer, 'd/link')), 'big');
    assert.ok((await fs.readFile(keptAt)).equals(gz), 'the kept copy is the input');
    assert.ok((await collect(layerTarStream(layer, tarSplitPath))).equals(tar), 'the tar-split gives the tar back');
  });
});

test('the input error wins over what the worker saw, and the tar-split is removed', async () => {
  await withTempDir(async (dir) => {
    const tar = await collect(writeTar([t.file('f', randomBytes(200 << 10))]));
    const check = new DigestStream('sha256:' + '0'.repeat(64));
    pieces(gzipSync(tar)).pipe(check);
    const tarSplitPath = join(dir, 'ts.json.gz');
    const err = await applyLayerInWorker(check, join(dir, 'layer'), { whiteouts: 'overlay', tarSplitPath }).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof DigestMismatch, String(err));
    await assert.rejects(fs.access(tarSplitPath));
  });
});

test('an input cut off in the middle fails the apply with its own error', async () => {
  await withTempDir(async (dir) => {
    const tar = await collect(writeTar([t.file('f', randomBytes(8 * MiB))]));
    const input = new PassThrough();
    input.write(tar.subarray(0, 3 * MiB));
    setTimeout(() => input.destroy(new Error('socket hang up')), 20);
    await assert.rejects(applyLayerInWorker(input, join(dir, 'layer'), { whiteouts: 'overlay', tarSplitPath: join(dir, 'ts') }), /socket hang up/);
    await assert.rejects(fs.access(join(dir, 'ts')));
  });
});

test('an input that failed before the apply started listening is reported, not waited for', async () => {
  await withTempDir(async (dir) => {
    const input = new PassThrough();
    input.on('error', () => undefined);
    input.destroy(new Error('connection reset by peer'));
    await new Promise((r) => setImmediate(r));
    await assert.rejects(applyLayerInWorker(input, join(dir, 'layer'), { whiteouts: 'overlay' }), /connection reset by peer/);
  });
});

test("the worker's errors keep their kind; the worker serves the next layer afterwards", async () => {
  await withTempDir(async (dir) => {
    const tar = await collect(writeTar([t.file('f', Buffer.from('hello'))]));
    const wrong = applyLayerInWorker(pieces(tar), join(dir, 'a'), { whiteouts: 'overlay', expectedDiffId: sha256(Buffer.from('other')) });
    await assert.rejects(wrong, (e: unknown) => e instanceof InvalidParameter && /digest mismatch/.test((e as Error).message));
    const escape = await collect(writeTar([t.file('../../outside', Buffer.from('x'))]));
    await assert.rejects(applyLayerInWorker(pieces(escape), join(dir, 'b'), { whiteouts: 'overlay' }), (e: unknown) => e instanceof InvalidParameter);
    const ok = await applyLayerInWorker(pieces(tar), join(dir, 'c'), { whiteouts: 'overlay', expectedDiffId: sha256(tar) });
    assert.equal(ok.diffId, sha256(tar));
    assert.equal(await fs.readFile(join(dir, 'c', 'f'), 'utf8'), 'hello');
  });
});

test('layers applied at once each get their own worker and their own bytes', async () => {
  await withTempDir(async (dir) => {
    const bodies = [0, 1, 2].map(() => randomBytes(2 * MiB + 17));
    const tars = await Promise.all(bodies.map((b) => collect(writeTar([t.file('f', b)]))));
    const results = await Promise.all(tars.map((tar, i) => applyLayerInWorker(pieces(tar), join(dir, `l${i}`), { whiteouts: 'naive', expectedDiffId: sha256(tar) })));
    for (let i = 0; i < 3; i++) {
      assert.equal(results[i]!.diffId, sha256(tars[i]!));
      assert.ok((await fs.readFile(join(dir, `l${i}`, 'f'))).equals(bodies[i]!));
    }
  });
});

/** A registry stand-in serving one blob; `auth` demands that bearer token, `hold` stalls mid-body. */
async function blobServer(blob: Buffer, o: { token?: string; hold?: boolean } = {}): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.headers.authorization ?? '-'} ${req.headers.range ?? ''}`.trim());
    if (o.token && req.headers.authorization !== `Bearer ${o.token}`) {
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="x"' }).end();
      return;
    }
    res.writeHead(200, { 'content-length': blob.length });
    if (o.hold) res.write(blob.subarray(0, blob.length >> 1));
    else res.end(blob);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/r/blobs/`,
    requests,
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

/** A gzipped one-file layer of 3 MiB and a stand-in registry serving it. */
async function servedLayer() {
  const body = randomBytes(3 * MiB);
  const tar = await collect(writeTar([t.file('f', body)]));
  const gz = gzipSync(tar);
  return { body, tar, gz, srv: await blobServer(gz) };
}

function remote(url: string, blob: Buffer, extra: Partial<RemoteBlob> = {}): RemoteBlob {
  const digest = sha256(blob);
  return { repo: 'r', digest, size: blob.length, prepare: async () => ({ url: url + digest, headers: {}, insecureTls: false }), ...extra };
}

test('a registry blob is downloaded and applied by the workers: files, kept copy, progress', async () => {
  await withTempDir(async (dir) => {
    const { body, tar, gz, srv } = await servedLayer();
    try {
      const seen: number[] = [];
      const res = await applyLayerInWorker(remote(srv.url, gz, { onBytes: (n) => seen.push(n) }), join(dir, 'layer'), { whiteouts: 'overlay', expectedDiffId: sha256(tar), keepInputAt: join(dir, 'kept'), tarSplitPath: join(dir, 'ts') });
      assert.equal(res.diffId, sha256(tar));
      assert.ok((await fs.readFile(join(dir, 'layer', 'f'))).equals(body));
      assert.ok((await fs.readFile(join(dir, 'kept'))).equals(gz));
      assert.equal(seen[seen.length - 1], gz.length, 'the last byte count is the whole blob');
    } finally {
      await srv.close();
    }
  });
});

test('a 401 gets fresh credentials once; a blob that does not match its digest is refused', async () => {
  await withTempDir(async (dir) => {
    const tar = await collect(writeTar([t.file('f', Buffer.from('x'))]));
    const srv = await blobServer(tar, { token: 'fresh' });
    try {
      let renewed = 0;
      const blob = remote(srv.url, tar, {
        prepare: async (renew) => {
          if (renew) renewed++;
          return { url: srv.url + sha256(tar), headers: { authorization: `Bearer ${renewed ? 'fresh' : 'stale'}` }, insecureTls: false };
        },
      });
      await applyLayerInWorker(blob, join(dir, 'a'), { whiteouts: 'overlay' });
      assert.equal(renewed, 1);
      assert.deepEqual(srv.requests, ['Bearer stale', 'Bearer fresh']);
      const wrong = { ...remote(srv.url, tar), digest: sha256(Buffer.from('other')), prepare: blob.prepare };
      await assert.rejects(applyLayerInWorker(wrong, join(dir, 'b'), { whiteouts: 'overlay', tarSplitPath: join(dir, 'ts') }), (e: unknown) => e instanceof InvalidParameter && /digest mismatch/.test((e as Error).message));
      await assert.rejects(fs.access(join(dir, 'ts')));
    } finally {
      await srv.close();
    }
  });
});

test('a cancelled download stops with the reason; a bad tar fails with its own error, not the cancel', async () => {
  await withTempDir(async (dir) => {
    const tar = await collect(writeTar([t.file('f', randomBytes(2 * MiB))]));
    const srv = await blobServer(tar, { hold: true });
    try {
      const abort = new AbortController();
      const running = applyLayerInWorker(remote(srv.url, tar, { signal: abort.signal, onBytes: () => abort.abort(new Error('another layer failed')) }), join(dir, 'a'), { whiteouts: 'overlay', tarSplitPath: join(dir, 'ts') });
      await assert.rejects(running, /another layer failed/);
      await assert.rejects(fs.access(join(dir, 'ts')));
    } finally {
      await srv.close();
    }
    const escape = await collect(writeTar([t.file('../../outside', randomBytes(MiB))]));
    const srv2 = await blobServer(escape);
    try {
      await assert.rejects(applyLayerInWorker(remote(srv2.url, escape), join(dir, 'b'), { whiteouts: 'overlay' }), (e: unknown) => e instanceof InvalidParameter && /refusing layer entry/.test((e as Error).message));
    } finally {
      await srv2.close();
    }
  });
});

test('an early layer: downloaded by a worker into a file, then applied from it by a worker with progress', async () => {
  await withTempDir(async (dir) => {
    const { body, tar, gz, srv } = await servedLayer();
    try {
      await downloadToFile(remote(srv.url, gz), join(dir, 'blob'));
      assert.ok((await fs.readFile(join(dir, 'blob'))).equals(gz));
      const seen: number[] = [];
      const res = await applyLayerInWorker({ file: join(dir, 'blob'), onBytes: (n) => seen.push(n) }, join(dir, 'layer'), { whiteouts: 'overlay', expectedDiffId: sha256(tar) });
      assert.equal(res.diffId, sha256(tar));
      assert.ok((await fs.readFile(join(dir, 'layer', 'f'))).equals(body));
      assert.equal(seen[seen.length - 1], gz.length);
      const wrong = { ...remote(srv.url, gz), digest: sha256(Buffer.from('other')) };
      wrong.prepare = remote(srv.url, gz).prepare;
      await assert.rejects(downloadToFile(wrong, join(dir, 'bad')), /digest mismatch/);
    } finally {
      await srv.close();
    }
  });
});
