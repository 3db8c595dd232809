// Blob pull and push through the registry: monolithic and chunked uploads, resume, mount,
// Range requests, digest verification and the spec's error codes.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { testRegistry, digestOf, pushBlob, type TestRegistry } from './harness.js';

describe('registry blobs', () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await testRegistry();
  });
  after(async () => {
    await reg.cleanup();
  });

  it('answers /v2/ with the API version header', async () => {
    const r = await reg.req('GET', '/v2/');
    assert.equal(r.status, 200);
    assert.equal(r.headers['docker-distribution-api-version'], 'registry/2.0');
    assert.deepEqual(r.json(), {});
  });

  it('stores a monolithic upload and serves it by GET, HEAD and Range', async () => {
    const data = 'the quick brown fox jumps over the lazy dog';
    const d = digestOf(data);
    const put = await reg.req('POST', `/v2/mono/blob/blobs/uploads/?digest=${d}`, data);
    assert.equal(put.status, 201);
    assert.equal(put.headers['docker-content-digest'], d);
    assert.equal(put.headers.location, `/v2/mono/blob/blobs/${d}`);

    const head = await reg.req('HEAD', `/v2/mono/blob/blobs/${d}`);
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(data.length));
    assert.equal(head.headers['docker-content-digest'], d);
    assert.equal(head.body.length, 0);

    const get = await reg.req('GET', `/v2/mono/blob/blobs/${d}`);
    assert.equal(get.body.toString(), data);

    const part = await reg.req('GET', `/v2/mono/blob/blobs/${d}`, undefined, { Range: 'bytes=4-8' });
    assert.equal(part.status, 206);
    assert.equal(part.body.toString(), 'quick');
    assert.equal(part.headers['content-range'], `bytes 4-8/${data.length}`);

    const tail = await reg.req('GET', `/v2/mono/blob/blobs/${d}`, undefined, { Range: 'bytes=-3' });
    assert.equal(tail.body.toString(), 'dog');

    const bad = await reg.req('GET', `/v2/mono/blob/blobs/${d}`, undefined, { Range: 'bytes=500-' });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers['content-range'], `bytes */${data.length}`);
  });

  it('refuses a digest that does not match and stores nothing', async () => {
    const wrong = digestOf('something else');
    const r = await reg.req('POST', `/v2/mono/bad/blobs/uploads/?digest=${wrong}`, 'actual content');
    assert.equal(r.status, 400);
    assert.equal(r.json().errors[0].code, 'DIGEST_INVALID');
    assert.equal((await reg.req('HEAD', `/v2/mono/bad/blobs/${wrong}`)).status, 404);
    assert.equal((await reg.req('HEAD', `/v2/mono/bad/blobs/${digestOf('actual content')}`)).status, 404);
    const uploads = await readdir(join(reg.root, 'docker/registry/v2/repositories/mono/bad/_uploads'));
    assert.deepEqual(uploads, []);
  });

  it('answers BLOB_UNKNOWN, DIGEST_INVALID and NAME_INVALID with the spec body', async () => {
    const unknown = await reg.req('GET', `/v2/mono/blob/blobs/${digestOf('nope')}`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(unknown.json().errors[0].code, 'BLOB_UNKNOWN');
    assert.equal(unknown.json().errors[0].message, 'blob unknown to registry');

    const badDigest = await reg.req('GET', '/v2/mono/blob/blobs/sha256:xyz');
    assert.equal(badDigest.status, 400);
    assert.equal(badDigest.json().errors[0].code, 'DIGEST_INVALID');

    for (const name of ['UPPER/case', 'a..b', 'trailing-', 'x'.repeat(256)]) {
      const r = await reg.req('GET', `/v2/${name}/tags/list`);
      assert.equal(r.status, 400, name);
      assert.equal(r.json().errors[0].code, 'NAME_INVALID');
    }
  });

  it('scopes blobs to the repository that holds them', async () => {
    const d = await pushBlob(reg, 'scope/a', 'private to a');
    assert.equal((await reg.req('HEAD', `/v2/scope/a/blobs/${d}`)).status, 200);
    assert.equal((await reg.req('HEAD', `/v2/scope/b/blobs/${d}`)).status, 404);
  });

  it('takes a chunked upload, checks Content-Range, and resumes from GET', async () => {
    const start = await reg.req('POST', '/v2/chunked/img/blobs/uploads/');
    assert.equal(start.status, 202);
    assert.equal(start.headers.range, '0-0');
    const location = start.headers.location!;
    assert.match(location, /^\/v2\/chunked\/img\/blobs\/uploads\/[0-9a-f-]{36}$/);
    assert.equal(location.split('/').pop(), start.headers['docker-upload-uuid']);

    const p1 = await reg.req('PATCH', location, 'hello ', { 'Content-Range': '0-5', 'Content-Type': 'application/octet-stream' });
    assert.equal(p1.status, 202);
    assert.equal(p1.headers.range, '0-5');

    const outOfOrder = await reg.req('PATCH', location, 'world', { 'Content-Range': '10-14' });
    assert.equal(outOfOrder.status, 416);
    assert.equal(outOfOrder.json().errors[0].code, 'RANGE_INVALID');

    const lengthMismatch = await reg.req('PATCH', location, 'world', { 'Content-Range': '6-20' });
    assert.equal(lengthMismatch.status, 400);
    assert.equal(lengthMismatch.json().errors[0].code, 'SIZE_INVALID');

    const status = await reg.req('GET', location);
    assert.equal(status.status, 204);
    assert.equal(status.headers.range, '0-5');
    assert.equal(status.headers.location, location);

    const p2 = await reg.req('PATCH', location, 'world', { 'Content-Range': '6-10' });
    assert.equal(p2.headers.range, '0-10');

    const d = digestOf('hello world!');
    const done = await reg.req('PUT', `${location}?digest=${d}`, '!', { 'Content-Range': '11-11' });
    assert.equal(done.status, 201);
    assert.equal(done.headers['docker-content-digest'], d);
    assert.equal((await reg.req('GET', `/v2/chunked/img/blobs/${d}`)).body.toString(), 'hello world!');

    const gone = await reg.req('GET', location);
    assert.equal(gone.status, 404);
    assert.equal(gone.json().errors[0].code, 'BLOB_UPLOAD_UNKNOWN');
  });

  it('finishes a PUT without digest as DIGEST_INVALID and cancels uploads with DELETE', async () => {
    const start = await reg.req('POST', '/v2/chunked/cancel/blobs/uploads/');
    const location = start.headers.location!;
    const noDigest = await reg.req('PUT', location);
    assert.equal(noDigest.status, 400);
    assert.equal(noDigest.json().errors[0].code, 'DIGEST_INVALID');
    assert.equal((await reg.req('DELETE', location)).status, 204);
    const again = await reg.req('DELETE', location);
    assert.equal(again.status, 404);
    assert.equal(again.json().errors[0].code, 'BLOB_UPLOAD_UNKNOWN');
    const patch = await reg.req('PATCH', location, 'x');
    assert.equal(patch.json().errors[0].code, 'BLOB_UPLOAD_UNKNOWN');
  });

  it('mounts a blob from another repository, or falls back to a new upload', async () => {
    const d = await pushBlob(reg, 'mount/src', 'shared layer');
    const mounted = await reg.req('POST', `/v2/mount/dst/blobs/uploads/?mount=${d}&from=mount/src`);
    assert.equal(mounted.status, 201);
    assert.equal(mounted.headers['docker-content-digest'], d);
    assert.equal(mounted.headers.location, `/v2/mount/dst/blobs/${d}`);
    assert.equal((await reg.req('GET', `/v2/mount/dst/blobs/${d}`)).body.toString(), 'shared layer');

    const missing = digestOf('not anywhere');
    const fallback = await reg.req('POST', `/v2/mount/dst/blobs/uploads/?mount=${missing}&from=mount/src`);
    assert.equal(fallback.status, 202);
    assert.ok(fallback.headers['docker-upload-uuid']);
  });

  it('refuses blob deletion when deletion is disabled', async () => {
    const d = await pushBlob(reg, 'del/blob', 'keep me');
    const r = await reg.req('DELETE', `/v2/del/blob/blobs/${d}`);
    assert.equal(r.status, 405);
    assert.equal(r.json().errors[0].code, 'UNSUPPORTED');
    assert.equal((await reg.req('HEAD', `/v2/del/blob/blobs/${d}`)).status, 200);
  });
});

describe('registry blobs with deletion enabled', () => {
  it('deletes a blob link with 202, then answers BLOB_UNKNOWN', async () => {
    const reg = await testRegistry({ deleteEnabled: true });
    try {
      const d = await pushBlob(reg, 'del/blob', 'delete me');
      assert.equal((await reg.req('DELETE', `/v2/del/blob/blobs/${d}`)).status, 202);
      assert.equal((await reg.req('HEAD', `/v2/del/blob/blobs/${d}`)).status, 404);
      const again = await reg.req('DELETE', `/v2/del/blob/blobs/${d}`);
      assert.equal(again.status, 404);
      assert.equal(again.json().errors[0].code, 'BLOB_UNKNOWN');
    } finally {
      await reg.cleanup();
    }
  });
});
