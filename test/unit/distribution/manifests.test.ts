import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseManifest, selectPlatform, parsePlatform, MT, type ImageIndex } from '../../../src/distribution/client/manifests.js';
import { pullReference } from '../../../src/distribution/client/pull.js';

const d = (c: string) => 'sha256:' + c.repeat(64);

function index(platforms: ({ os: string; architecture: string; variant?: string } | undefined)[]): ImageIndex {
  const raw = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: platforms.map((p, i) => ({ mediaType: MT.ociManifest, digest: d(String(i)), size: 100, ...(p ? { platform: p } : {}) })) }));
  return parseManifest(raw) as ImageIndex;
}

test('linux/amd64 is chosen from an index; attestations and other platforms are not', () => {
  const idx = index([{ os: 'unknown', architecture: 'unknown' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }, { os: 'linux', architecture: 'amd64' }, undefined]);
  assert.equal(selectPlatform(idx, parsePlatform('')).digest, d('2'));
  assert.equal(selectPlatform(idx, parsePlatform('linux/aarch64')).digest, d('1'));
  assert.throws(() => selectPlatform(idx, parsePlatform('linux/s390x')), /no matching manifest for linux\/s390x in the manifest list entries/);
});

test('a wanted variant must match; without one the variant-less entry wins', () => {
  const idx = index([{ os: 'linux', architecture: 'arm', variant: 'v6' }, { os: 'linux', architecture: 'arm', variant: 'v7' }]);
  assert.equal(selectPlatform(idx, parsePlatform('linux/arm/v7')).digest, d('1'));
  assert.throws(() => selectPlatform(idx, parsePlatform('linux/arm/v5')));
});

test('Docker schema2 and OCI manifests parse; schema1 and unknown layer types are refused', () => {
  const m = parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.dockerManifest, config: { mediaType: MT.dockerConfig, digest: d('a'), size: 10 }, layers: [{ mediaType: MT.dockerLayer, digest: d('b'), size: 20 }] })));
  assert.equal(m.kind, 'manifest');
  // OCI manifests may omit mediaType: the Content-Type tells.
  const oci = parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, config: { mediaType: MT.ociConfig, digest: d('a'), size: 10 }, layers: [] })), MT.ociManifest);
  assert.equal(oci.mediaType, MT.ociManifest);
  assert.throws(() => parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 1, fsLayers: [] }))), /schema 1 is not supported/);
  assert.throws(() => parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, config: { digest: d('a'), size: 1, mediaType: MT.ociConfig }, layers: [{ mediaType: 'text/plain', digest: d('b'), size: 1 }] }))), /unsupported layer media type/);
  assert.throws(() => parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, config: { digest: 'md5:x', size: 1 }, layers: [] }))), /bad descriptor digest/);
});

test('fromImage and tag become one reference: tag, digest in the tag field, default latest', () => {
  assert.deepEqual(pullReference('127.0.0.1:5000/app', 'v1'), { name: '127.0.0.1:5000/app', tag: 'v1', digest: undefined });
  const byDigest = pullReference('127.0.0.1:5000/app', d('c'));
  assert.equal(byDigest.digest, d('c'));
  assert.equal(byDigest.tag, undefined);
  assert.deepEqual(pullReference('busybox', ''), { name: 'docker.io/library/busybox', tag: 'latest', digest: undefined });
});
