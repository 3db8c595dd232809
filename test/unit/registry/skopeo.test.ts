// Interoperability with a real client: skopeo pushes a small OCI layout to the registry and
// pulls it back, with and without htpasswd credentials. Skipped when skopeo is not installed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testRegistry, digestOf, type TestRegistry } from './harness.js';

const run = promisify(execFile);
const SKOPEO = ['/usr/bin/skopeo', '/usr/local/bin/skopeo'].find((p) => existsSync(p));
const skip = SKOPEO ? false : 'skopeo is not installed (apt-get install skopeo)';

async function writeBlob(layout: string, data: Buffer | string): Promise<{ digest: string; size: number }> {
  const digest = digestOf(data);
  await writeFile(join(layout, 'blobs/sha256', digest.slice(7)), data);
  return { digest, size: Buffer.byteLength(data) };
}

/** A one-layer OCI image layout with tag v1; returns the config digest. */
async function buildLayout(layout: string): Promise<string> {
  await mkdir(join(layout, 'blobs/sha256'), { recursive: true });
  // one tar entry "hello.txt": a 512-byte header, the content padded to 512, two zero blocks
  const header = Buffer.alloc(512);
  const content = Buffer.from('hello from berth\n');
  header.write('hello.txt', 0);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(content.length.toString(8).padStart(11, '0') + '\0', 124);
  header.write('00000000000\0', 136);
  header.write('0', 156);
  header.write('ustar\0' + '00', 257);
  header.fill(' ', 148, 156);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const tar = Buffer.concat([header, content, Buffer.alloc(512 - content.length), Buffer.alloc(1024)]);
  const layer = await writeBlob(layout, tar);
  const config = await writeBlob(
    layout,
    JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: [layer.digest] } }),
  );
  const manifest = await writeBlob(
    layout,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
    }),
  );
  await writeFile(
    join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'v1' } }],
    }),
  );
  await writeFile(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  return config.digest;
}

describe('registry interoperability with skopeo', { skip }, () => {
  let dir: string;
  let reg: TestRegistry;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-registry-skopeo-'));
    reg = await testRegistry();
  });
  after(async () => {
    await reg?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('pushes an OCI layout and pulls it back unchanged', async () => {
    const configDigest = await buildLayout(join(dir, 'src'));
    const host = new URL(reg.url).host;
    const common = ['--insecure-policy'];
    await run(SKOPEO!, [...common, 'copy', '--dest-tls-verify=false', `oci:${join(dir, 'src')}:v1`, `docker://${host}/interop/img:v1`]);
    const tags = await reg.req('GET', '/v2/interop/img/tags/list');
    assert.deepEqual(tags.json(), { name: 'interop/img', tags: ['v1'] });

    // registry to registry as Docker schema2, which makes skopeo mount or reuse the blobs
    await run(SKOPEO!, [
      ...common,
      'copy',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      '--format',
      'v2s2',
      `docker://${host}/interop/img:v1`,
      `docker://${host}/interop/copy:latest`,
    ]);
    const { stdout } = await run(SKOPEO!, [...common, 'inspect', '--tls-verify=false', `docker://${host}/interop/copy:latest`]);
    assert.deepEqual(JSON.parse(stdout).RepoTags, ['latest']);

    await run(SKOPEO!, [...common, 'copy', '--src-tls-verify=false', `docker://${host}/interop/img:v1`, `oci:${join(dir, 'back')}:v1`]);
    const index = JSON.parse(await readFile(join(dir, 'back/index.json'), 'utf8'));
    const manifest = JSON.parse(await readFile(join(dir, 'back/blobs/sha256', index.manifests[0].digest.slice(7)), 'utf8'));
    assert.equal(manifest.config.digest, configDigest);
    const config = JSON.parse(await readFile(join(dir, 'back/blobs/sha256', configDigest.slice(7)), 'utf8'));
    assert.deepEqual(config.config.Cmd, ['/bin/sh']);
    const layer = await readFile(join(dir, 'back/blobs/sha256', manifest.layers[0].digest.slice(7)));
    assert.equal(digestOf(layer), manifest.layers[0].digest);
  });
});
