// A client that dies in the middle of an upload: nothing becomes visible, the upload stays at
// its last complete chunk so it can be resumed, and the server keeps serving. One that leaves in
// the middle of a download does not disturb the next.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { testRegistry, digestOf, pushBlob, type TestRegistry } from './harness.js';

/** Sends the headers and `sent` bytes of a `total`-byte body, then destroys the socket. */
async function cutShort(base: string, method: string, path: string, total: number, sent: Buffer, headers: Record<string, string> = {}) {
  await new Promise<void>((resolve) => {
    const r = http.request(new URL(path, base), { method, agent: false, headers: { ...headers, 'Content-Length': String(total) } });
    r.on('error', () => resolve());
    r.write(sent, () => {
      setTimeout(() => {
        r.destroy();
        resolve();
      }, 50);
    });
  });
}

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; ; i++) {
    const v = await fn();
    if (ok(v) || i > 100) return v;
    await sleep(20);
  }
}

describe('registry killed uploads', () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await testRegistry();
  });
  after(async () => {
    await reg.cleanup();
  });

  it('a PATCH cut off mid-body leaves the upload at its previous offset and can be resumed', async () => {
    const full = Buffer.alloc(256 * 1024, 7);
    const d = digestOf(full);
    const start = await reg.req('POST', '/v2/killed/patch/blobs/uploads/');
    const location = start.headers.location!;
    const first = full.subarray(0, 1000);
    assert.equal((await reg.req('PATCH', location, first, { 'Content-Range': '0-999' })).status, 202);

    await cutShort(reg.url, 'PATCH', location, full.length - 1000, full.subarray(1000, 100_000), { 'Content-Range': `1000-${full.length - 1}` });

    const status = await until(() => reg.req('GET', location), (r) => r.headers.range === '0-999');
    assert.equal(status.status, 204);
    assert.equal(status.headers.range, '0-999');
    assert.equal((await reg.req('HEAD', `/v2/killed/patch/blobs/${d}`)).status, 404);
    assert.equal((await reg.req('GET', '/v2/')).status, 200);

    const rest = await reg.req('PATCH', location, full.subarray(1000), { 'Content-Range': `1000-${full.length - 1}` });
    assert.equal(rest.status, 202);
    assert.equal((await reg.req('PUT', `${location}?digest=${d}`)).status, 201);
    const got = await reg.req('GET', `/v2/killed/patch/blobs/${d}`);
    assert.ok(got.body.equals(full));
  });

  it('a monolithic POST cut off mid-body stores nothing and leaves no upload behind', async () => {
    const full = Buffer.alloc(300 * 1024, 9);
    const d = digestOf(full);
    await cutShort(reg.url, 'POST', `/v2/killed/mono/blobs/uploads/?digest=${d}`, full.length, full.subarray(0, 150_000));
    const uploadsDir = join(reg.root, 'docker/registry/v2/repositories/killed/mono/_uploads');
    const left = await until(() => readdir(uploadsDir).catch(() => []), (l) => l.length === 0);
    assert.deepEqual(left, []);
    assert.equal((await reg.req('HEAD', `/v2/killed/mono/blobs/${d}`)).status, 404);
    const blobDir = join(reg.root, 'docker/registry/v2/blobs/sha256', d.slice(7, 9));
    assert.deepEqual(await readdir(blobDir).catch(() => []), []);
    assert.equal((await reg.req('GET', '/v2/_catalog')).status, 200);
  });
});

describe('registry blob downloads cut short', () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await testRegistry();
  });
  after(async () => {
    await reg.cleanup();
  });

  it('a client that leaves in the middle of a multi-MiB blob does not stop the server, which serves it whole and in ranges next', async () => {
    const data = randomBytes((5 << 20) + 123);
    const d = await pushBlob(reg, 'cut/blob', data);
    await new Promise<void>((resolve) => {
      const r = http.get(new URL(`/v2/cut/blob/blobs/${d}`, reg.url), { agent: false }, (res) => {
        res.once('data', () => {
          r.destroy();
          resolve();
        });
      });
      r.on('error', () => resolve());
    });
    const whole = await reg.req('GET', `/v2/cut/blob/blobs/${d}`);
    assert.equal(whole.status, 200);
    assert.ok(whole.body.equals(data));
    // Ranges across the 1 MiB read pieces.
    const part = await reg.req('GET', `/v2/cut/blob/blobs/${d}`, undefined, { Range: `bytes=${(1 << 20) - 5}-${(3 << 20) + 7}` });
    assert.equal(part.status, 206);
    assert.ok(part.body.equals(data.subarray((1 << 20) - 5, (3 << 20) + 8)));
  });
});
