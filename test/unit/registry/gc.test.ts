// Offline garbage collection: blobs no manifest reaches are swept; with deleteUntagged,
// manifests no tag reaches go too, while index children and referrers of kept manifests stay.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { garbageCollect } from '../../../src/distribution/registry/gc.js';
import { testRegistry, digestOf, pushBlob, imageManifest, putManifest, OCI_MANIFEST, OCI_INDEX } from './harness.js';

describe('registry garbage collection', () => {
  it('keeps what tags reach through indexes and referrers, and removes the rest', async () => {
    const root = await mkdtemp(join(tmpdir(), 'berth-registry-gc-'));
    try {
      let reg = await testRegistry({ root });
      const tagged = await imageManifest(reg, 'gc/app', 'tagged');
      await putManifest(reg, 'gc/app', 'v1', tagged.body);
      const child = await imageManifest(reg, 'gc/app', 'child');
      await putManifest(reg, 'gc/app', child.digest, child.body);
      const index = JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [{ mediaType: OCI_MANIFEST, digest: child.digest, size: child.body.length }],
      });
      await putManifest(reg, 'gc/app', 'multi', index, OCI_INDEX);
      const untagged = await imageManifest(reg, 'gc/app', 'untagged');
      await putManifest(reg, 'gc/app', untagged.digest, untagged.body);
      const referrer = JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: 'application/vnd.example.signature',
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: await pushBlob(reg, 'gc/app', '{}'), size: 2 },
        layers: [],
        subject: { mediaType: OCI_MANIFEST, digest: tagged.digest, size: tagged.body.length },
      });
      await putManifest(reg, 'gc/app', digestOf(referrer), referrer);
      const orphan = await pushBlob(reg, 'gc/app', 'a blob no manifest mentions');
      await reg.close();

      // without --delete-untagged every manifest is a root; only the orphan goes
      const plain = await garbageCollect(root);
      assert.deepEqual(plain.blobs, [orphan]);
      assert.deepEqual(plain.manifests, []);

      const lines: string[] = [];
      const dry = await garbageCollect(root, { deleteUntagged: true, dryRun: true, log: (l) => lines.push(l) });
      assert.deepEqual(dry.manifests, [`gc/app@${untagged.digest}`]);
      assert.deepEqual(dry.blobs, [untagged.config, untagged.layer, untagged.digest].sort());
      assert.ok(lines.some((l) => l.includes('eligible for deletion')));

      reg = await testRegistry({ root });
      // the dry run changed nothing
      assert.equal((await reg.req('HEAD', `/v2/gc/app/manifests/${untagged.digest}`)).status, 200);
      await reg.close();

      const real = await garbageCollect(root, { deleteUntagged: true });
      assert.deepEqual(real.manifests, [`gc/app@${untagged.digest}`]);

      reg = await testRegistry({ root });
      try {
        assert.equal((await reg.req('HEAD', `/v2/gc/app/manifests/${untagged.digest}`)).status, 404);
        assert.equal((await reg.req('HEAD', `/v2/gc/app/blobs/${untagged.layer}`)).status, 404);
        assert.equal((await reg.req('HEAD', `/v2/gc/app/blobs/${orphan}`)).status, 404);
        for (const d of [tagged.digest, child.digest, digestOf(index), digestOf(referrer)]) {
          assert.equal((await reg.req('HEAD', `/v2/gc/app/manifests/${d}`)).status, 200, d);
        }
        for (const d of [tagged.layer, tagged.config, child.layer, child.config]) {
          const r = await reg.req('GET', `/v2/gc/app/blobs/${d}`);
          assert.equal(r.status, 200, d);
          assert.equal(digestOf(r.body), d);
        }
        const refs = await reg.req('GET', `/v2/gc/app/referrers/${tagged.digest}`);
        assert.deepEqual(refs.json().manifests.map((m: { digest: string }) => m.digest), [digestOf(referrer)]);
      } finally {
        await reg.close();
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
