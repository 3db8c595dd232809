// Manifests, tags, catalog and referrers through the registry: push and pull by tag and digest,
// content negotiation, validation against missing blobs, pagination and deletion.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  testRegistry,
  digestOf,
  pushBlob,
  imageManifest,
  putManifest,
  OCI_MANIFEST,
  OCI_INDEX,
  type TestRegistry,
} from './harness.js';

const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

describe('registry manifests', () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await testRegistry();
  });
  after(async () => {
    await reg.cleanup();
  });

  it('pushes a manifest by tag and pulls it by tag and digest', async () => {
    const m = await imageManifest(reg, 'app/web', 'one');
    const put = await putManifest(reg, 'app/web', 'v1', m.body);
    assert.equal(put.status, 201);
    assert.equal(put.headers['docker-content-digest'], m.digest);
    assert.equal(put.headers.location, `/v2/app/web/manifests/${m.digest}`);

    for (const ref of ['v1', m.digest]) {
      const get = await reg.req('GET', `/v2/app/web/manifests/${ref}`, undefined, { Accept: `${OCI_MANIFEST}, ${OCI_INDEX}` });
      assert.equal(get.status, 200);
      assert.equal(get.body.toString(), m.body);
      assert.equal(get.headers['content-type'], OCI_MANIFEST);
      assert.equal(get.headers['docker-content-digest'], m.digest);
    }
    const head = await reg.req('HEAD', '/v2/app/web/manifests/v1');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(m.body.length));
    assert.equal(head.body.length, 0);
    // the manifest is also a blob of its repository
    assert.equal((await reg.req('GET', `/v2/app/web/blobs/${m.digest}`)).body.toString(), m.body);
  });

  it('negotiates on Accept: an OCI manifest is not served to a schema2-only client', async () => {
    const r = await reg.req('GET', '/v2/app/web/manifests/v1', undefined, { Accept: DOCKER_MANIFEST });
    assert.equal(r.status, 404);
    assert.equal(r.json().errors[0].code, 'MANIFEST_UNKNOWN');
    const any = await reg.req('GET', '/v2/app/web/manifests/v1', undefined, { Accept: '*/*' });
    assert.equal(any.status, 200);
  });

  it('stores Docker schema2 manifests and manifest lists with their media types', async () => {
    const config = await pushBlob(reg, 'app/docker', '{"os":"linux"}');
    const layer = await pushBlob(reg, 'app/docker', 'docker layer');
    const body = JSON.stringify({
      schemaVersion: 2,
      mediaType: DOCKER_MANIFEST,
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: config, size: 14 },
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: layer, size: 12 }],
    });
    assert.equal((await putManifest(reg, 'app/docker', 'latest', body, DOCKER_MANIFEST)).status, 201);
    const list = JSON.stringify({
      schemaVersion: 2,
      mediaType: DOCKER_LIST,
      manifests: [{ mediaType: DOCKER_MANIFEST, digest: digestOf(body), size: body.length, platform: { os: 'linux', architecture: 'amd64' } }],
    });
    assert.equal((await putManifest(reg, 'app/docker', 'multi', list, DOCKER_LIST)).status, 201);
    const get = await reg.req('GET', '/v2/app/docker/manifests/multi', undefined, { Accept: `${DOCKER_LIST}, ${DOCKER_MANIFEST}` });
    assert.equal(get.headers['content-type'], DOCKER_LIST);
    assert.equal(get.headers['docker-content-digest'], digestOf(list));
  });

  it('rejects a manifest whose blobs are missing with MANIFEST_BLOB_UNKNOWN', async () => {
    const missing = digestOf('never pushed');
    const config = await pushBlob(reg, 'app/broken', '{}');
    const body = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 2 },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: missing, size: 5 }],
    });
    const r = await putManifest(reg, 'app/broken', 'v1', body);
    assert.equal(r.status, 400);
    assert.equal(r.json().errors[0].code, 'MANIFEST_BLOB_UNKNOWN');
    assert.deepEqual(r.json().errors[0].detail, { digest: missing });
    assert.equal((await reg.req('GET', '/v2/app/broken/manifests/v1')).status, 404);

    const index = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: missing, size: 5 }] });
    const ri = await putManifest(reg, 'app/broken', 'idx', index, OCI_INDEX);
    assert.equal(ri.json().errors[0].code, 'MANIFEST_BLOB_UNKNOWN');
  });

  it('rejects invalid manifests, digest mismatches and oversized bodies', async () => {
    const bad = await putManifest(reg, 'app/web', 'bad', '{not json');
    assert.equal(bad.status, 400);
    assert.equal(bad.json().errors[0].code, 'MANIFEST_INVALID');

    const m = await imageManifest(reg, 'app/web', 'two');
    const mismatch = await putManifest(reg, 'app/web', digestOf('other'), m.body);
    assert.equal(mismatch.status, 400);
    assert.equal(mismatch.json().errors[0].code, 'DIGEST_INVALID');

    const byDigest = await putManifest(reg, 'app/web', m.digest, m.body);
    assert.equal(byDigest.status, 201);

    const huge = JSON.stringify({ schemaVersion: 2, pad: 'x'.repeat(4 * 1024 * 1024) });
    const big = await putManifest(reg, 'app/web', 'big', huge);
    assert.equal(big.status, 413);
    assert.equal(big.json().errors[0].code, 'MANIFEST_INVALID');
  });

  it('answers MANIFEST_UNKNOWN and refuses deletion while it is disabled', async () => {
    const r = await reg.req('GET', '/v2/app/web/manifests/nosuchtag');
    assert.equal(r.status, 404);
    assert.equal(r.json().errors[0].code, 'MANIFEST_UNKNOWN');
    const del = await reg.req('DELETE', '/v2/app/web/manifests/v1');
    assert.equal(del.status, 405);
    assert.equal(del.json().errors[0].code, 'UNSUPPORTED');
  });

  it('lists tags in order with n/last pagination and a Link header', async () => {
    const m = await imageManifest(reg, 'tags/repo', 'tags');
    for (const t of ['c', 'a', 'e', 'b', 'd']) assert.equal((await putManifest(reg, 'tags/repo', t, m.body)).status, 201);
    const all = await reg.req('GET', '/v2/tags/repo/tags/list');
    assert.deepEqual(all.json(), { name: 'tags/repo', tags: ['a', 'b', 'c', 'd', 'e'] });
    const page = await reg.req('GET', '/v2/tags/repo/tags/list?n=2');
    assert.deepEqual(page.json().tags, ['a', 'b']);
    assert.equal(page.headers.link, '</v2/tags/repo/tags/list?last=b&n=2>; rel="next"');
    const next = await reg.req('GET', '/v2/tags/repo/tags/list?n=2&last=b');
    assert.deepEqual(next.json().tags, ['c', 'd']);
    const lastPage = await reg.req('GET', '/v2/tags/repo/tags/list?n=2&last=d');
    assert.deepEqual(lastPage.json().tags, ['e']);
    assert.equal(lastPage.headers.link, undefined);
    assert.deepEqual((await reg.req('GET', '/v2/tags/repo/tags/list?n=0')).json().tags, []);
    for (const n of ['-1', 'abc']) {
      const r = await reg.req('GET', `/v2/tags/repo/tags/list?n=${n}`);
      assert.equal(r.status, 400);
      assert.equal(r.json().errors[0].code, 'PAGINATION_NUMBER_INVALID');
    }
    const unknown = await reg.req('GET', '/v2/no/such/repo/tags/list');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json().errors[0].code, 'NAME_UNKNOWN');
  });

  it('pages the catalog with n/last and refuses bad n', async () => {
    const all = (await reg.req('GET', '/v2/_catalog')).json().repositories as string[];
    assert.deepEqual(all, [...all].sort());
    assert.ok(all.includes('app/web') && all.includes('tags/repo'));
    assert.ok(!all.includes('scope/none'));
    const first = await reg.req('GET', '/v2/_catalog?n=1');
    assert.deepEqual(first.json().repositories, [all[0]]);
    assert.equal(first.headers.link, `</v2/_catalog?last=${encodeURIComponent(all[0])}&n=1>; rel="next"`);
    const second = await reg.req('GET', `/v2/_catalog?n=1&last=${encodeURIComponent(all[0])}`);
    assert.deepEqual(second.json().repositories, [all[1]]);
    for (const n of ['-1', 'abc', '1001']) {
      const r = await reg.req('GET', `/v2/_catalog?n=${n}`);
      assert.equal(r.status, 400, n);
      assert.equal(r.json().errors[0].code, 'PAGINATION_NUMBER_INVALID');
    }
  });

  it('lists referrers of a subject with artifactType filtering', async () => {
    const subject = await imageManifest(reg, 'ref/app', 'subject');
    await putManifest(reg, 'ref/app', 'v1', subject.body);
    const subjectDesc = { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.body.length };
    const empty = await pushBlob(reg, 'ref/app', '{}');
    const artifact = (type: string, note: string) =>
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: type,
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: empty, size: 2 },
        layers: [],
        subject: subjectDesc,
        annotations: { note },
      });
    const sig = artifact('application/vnd.example.signature', 'sig');
    const sbom = artifact('application/vnd.example.sbom', 'sbom');
    const putSig = await putManifest(reg, 'ref/app', digestOf(sig), sig);
    assert.equal(putSig.status, 201);
    assert.equal(putSig.headers['oci-subject'], subject.digest);
    await putManifest(reg, 'ref/app', digestOf(sbom), sbom);

    const all = await reg.req('GET', `/v2/ref/app/referrers/${subject.digest}`);
    assert.equal(all.status, 200);
    assert.equal(all.headers['content-type'], OCI_INDEX);
    const idx = all.json();
    assert.equal(idx.mediaType, OCI_INDEX);
    assert.equal(idx.manifests.length, 2);
    const sigDesc = idx.manifests.find((d: any) => d.digest === digestOf(sig));
    assert.deepEqual(sigDesc, {
      mediaType: OCI_MANIFEST,
      digest: digestOf(sig),
      size: sig.length,
      artifactType: 'application/vnd.example.signature',
      annotations: { note: 'sig' },
    });

    const filtered = await reg.req('GET', `/v2/ref/app/referrers/${subject.digest}?artifactType=application/vnd.example.sbom`);
    assert.equal(filtered.headers['oci-filters-applied'], 'artifactType');
    assert.deepEqual(filtered.json().manifests.map((d: any) => d.digest), [digestOf(sbom)]);

    const none = await reg.req('GET', `/v2/ref/app/referrers/${digestOf('no subject')}`);
    assert.deepEqual(none.json().manifests, []);
  });
});

describe('registry manifest deletion', () => {
  it('deletes tags and manifests with 202 when enabled', async () => {
    const reg = await testRegistry({ deleteEnabled: true });
    try {
      const m = await imageManifest(reg, 'del/app', 'del');
      await putManifest(reg, 'del/app', 'v1', m.body);
      await putManifest(reg, 'del/app', 'v2', m.body);
      assert.equal((await reg.req('DELETE', '/v2/del/app/manifests/v1')).status, 202);
      assert.deepEqual((await reg.req('GET', '/v2/del/app/tags/list')).json().tags, ['v2']);
      assert.equal((await reg.req('DELETE', `/v2/del/app/manifests/${m.digest}`)).status, 202);
      assert.equal((await reg.req('GET', `/v2/del/app/manifests/${m.digest}`)).status, 404);
      assert.deepEqual((await reg.req('GET', '/v2/del/app/tags/list')).json().tags, []);
      const again = await reg.req('DELETE', `/v2/del/app/manifests/${m.digest}`);
      assert.equal(again.status, 404);
      assert.equal(again.json().errors[0].code, 'MANIFEST_UNKNOWN');
    } finally {
      await reg.cleanup();
    }
  });
});
