import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { LayerStore, chainIdOf } from '../../../src/layers/store.js';
import { ImageStore } from '../../../src/images/store.js';
import { readTar } from '../../../src/layers/archive/tar-reader.js';
import { saveImages } from '../../../src/images/archive/save.js';
import { loadImages, type LoadMessage } from '../../../src/images/archive/load.js';
import type { ArchiveDeps } from '../../../src/images/archive/deps.js';
import { collect, sha256, t, tarOf, withTempDir } from '../layers/fixtures.js';

async function engine(root: string): Promise<ArchiveDeps> {
  const layers = new LayerStore(root);
  await layers.init();
  const images = new ImageStore(root);
  await images.init();
  return { layers, images, dataRoot: root };
}

/** Every file of a tar by name. */
async function files(tar: Buffer): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for await (const { header, body } of readTar(Readable.from([tar]))) {
    if (header.type === 'file') out.set(header.name, await collect(body));
    else if (header.type === 'dir') out.set(header.name, Buffer.alloc(0));
  }
  return out;
}

async function load(deps: ArchiveDeps, archive: Buffer, quiet = true): Promise<string[]> {
  const out: string[] = [];
  for await (const m of loadImages(Readable.from([archive]), deps, { quiet })) if ('stream' in m) out.push(m.stream);
  return out;
}

function gnuLayer(files: Record<string, string>): Promise<Buffer> {
  return withTempDir(async (d) => {
    for (const [name, content] of Object.entries(files)) {
      await fs.mkdir(join(d, name, '..'), { recursive: true });
      await fs.writeFile(join(d, name), content);
    }
    const r = spawnSync('tar', ['-c', '-C', d, '.'], { maxBuffer: 64 << 20 });
    assert.equal(r.status, 0);
    return r.stdout;
  });
}

function configFor(diffIds: string[], extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', created: '2024-01-02T03:04:05Z', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: diffIds }, ...extra }));
}

/** An image of two layers (a GNU tar and a Berth-written one with a whiteout), tagged twice. */
async function makeImage(deps: ArchiveDeps): Promise<{ id: string; layerTars: Buffer[] }> {
  const base = await gnuLayer({ 'bin/sh': '#!shell\n', 'etc/passwd': 'root:x:0:0\n', ['deep/' + 'n'.repeat(120)]: 'long' });
  const top = await tarOf([t.file('etc/.wh.passwd', ''), t.file('hello', 'world')]);
  const l1 = await deps.layers.register(Readable.from([gzipSync(base)]));
  const l2 = await deps.layers.register(Readable.from([top]), l1.chainId);
  const img = await deps.images.create(configFor([l1.diffId, l2.diffId]));
  await deps.images.tag(img.id, 'busybox:latest');
  await deps.images.tag(img.id, 'example.com/team/app:1.0');
  return { id: img.id, layerTars: [base, top] };
}

/** Nothing of a failed load may stay: no temp dirs, no layers, no driver dirs. */
async function assertClean(deps: ArchiveDeps): Promise<void> {
  assert.deepEqual(await fs.readdir(join(deps.dataRoot, 'tmp')).catch(() => []), []);
  assert.equal(deps.layers.all().length, 0);
  assert.deepEqual((await fs.readdir(join(deps.dataRoot, 'overlay2'))).filter((n) => n !== 'l'), []);
  assert.equal(deps.images.all().length, 0);
}

test('save writes an OCI layout with manifest.json and repositories, layers byte-identical', async () => {
  await withTempDir(async (dir) => {
    const deps = await engine(join(dir, 'a'));
    const { id, layerTars } = await makeImage(deps);
    const archive = await collect(await saveImages(['busybox'], deps));
    const f = await files(archive);
    assert.deepEqual(JSON.parse(f.get('oci-layout')!.toString()), { imageLayoutVersion: '1.0.0' });
    const manifest = JSON.parse(f.get('manifest.json')!.toString());
    const diffIds = layerTars.map(sha256);
    assert.deepEqual(manifest, [
      {
        Config: `blobs/sha256/${id.slice(7)}`,
        RepoTags: ['busybox:latest'],
        Layers: diffIds.map((d) => `blobs/sha256/${d.slice(7)}`),
        LayerSources: Object.fromEntries(diffIds.map((d, i) => [d, { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: d, size: layerTars[i]!.length }])),
      },
    ]);
    for (const [i, d] of diffIds.entries()) assert.ok(f.get(`blobs/sha256/${d.slice(7)}`)!.equals(layerTars[i]!), `layer ${i} differs`);
    assert.equal(sha256(f.get(`blobs/sha256/${id.slice(7)}`)!), id);
    const index = JSON.parse(f.get('index.json')!.toString());
    assert.equal(index.manifests.length, 1);
    assert.deepEqual(index.manifests[0].annotations, { 'io.containerd.image.name': 'docker.io/library/busybox:latest', 'org.opencontainers.image.ref.name': 'latest' });
    const m = JSON.parse(f.get(`blobs/sha256/${index.manifests[0].digest.slice(7)}`)!.toString());
    assert.equal(m.config.digest, id);
    assert.deepEqual(m.layers.map((l: { digest: string }) => l.digest), diffIds);
    assert.deepEqual(JSON.parse(f.get('repositories')!.toString()), { busybox: { latest: diffIds[1]!.slice(7) } });

    // Several names in one archive; an image ID alone carries no tag.
    const both = await files(await collect(await saveImages(['busybox:latest', 'example.com/team/app:1.0'], deps)));
    assert.deepEqual(JSON.parse(both.get('manifest.json')!.toString())[0].RepoTags, ['busybox:latest', 'example.com/team/app:1.0']);
    assert.equal(JSON.parse(both.get('index.json')!.toString()).manifests.length, 2);
    const byId = await files(await collect(await saveImages([id.slice(7, 19)], deps)));
    assert.equal(JSON.parse(byId.get('manifest.json')!.toString())[0].RepoTags, null);
    assert.equal(byId.has('repositories'), false);
    await assert.rejects(saveImages(['nosuch:tag'], deps), /No such image: nosuch:tag/);
  });
});

test('save then load into a second data root gives the same image, tags and layers', async () => {
  await withTempDir(async (dir) => {
    const a = await engine(join(dir, 'a'));
    const { id, layerTars } = await makeImage(a);
    const archive = await collect(await saveImages(['busybox', 'example.com/team/app'], a));
    const b = await engine(join(dir, 'b'));
    const msgs: LoadMessage[] = [];
    for await (const m of loadImages(Readable.from([archive]), b)) msgs.push(m);
    assert.deepEqual(
      msgs.filter((m) => 'stream' in m),
      [{ stream: 'Loaded image: busybox:latest\n' }, { stream: 'Loaded image: example.com/team/app:1.0\n' }],
    );
    assert.equal(msgs.filter((m) => 'status' in m).length, 2, 'one progress message per layer');
    assert.equal(b.images.resolve('busybox').id, id);
    assert.equal(b.images.resolve('example.com/team/app:1.0').id, id);
    const chain = chainIdOf(layerTars.map(sha256))!;
    assert.ok((await collect(b.layers.layerTar(chain))).equals(layerTars[1]!));
    // Saved again from the second root, the archive is the same bytes.
    assert.ok((await collect(await saveImages(['busybox', 'example.com/team/app'], b))).equals(archive));
    // Loading again changes nothing and says so the same way.
    assert.deepEqual(await load(b, archive), ['Loaded image: busybox:latest\n', 'Loaded image: example.com/team/app:1.0\n']);
    assert.equal(b.layers.all().length, 2);
    assert.deepEqual(await fs.readdir(join(dir, 'b', 'tmp')), []);
  });
});

test('load accepts an old gzipped docker-archive with <id>/layer.tar, symlinked layers and <id>.json', async () => {
  await withTempDir(async (dir) => {
    const deps = await engine(join(dir, 'r'));
    const layer = await gnuLayer({ 'bin/sh': 'sh' });
    const config = configFor([sha256(layer), sha256(layer)].slice(0, 1));
    const cfgHex = sha256(config).slice(7);
    const v1a = 'a'.repeat(64);
    const v1b = 'b'.repeat(64);
    const config2 = configFor([sha256(layer)], { comment: 'second' });
    const archive = await tarOf([
      t.dir(`${v1a}/`),
      t.file(`${v1a}/VERSION`, '1.0'),
      t.file(`${v1a}/json`, '{}'),
      t.file(`${v1a}/layer.tar`, layer),
      t.dir(`${v1b}/`),
      t.symlink(`../${v1a}/layer.tar`, `${v1b}/layer.tar`),
      t.file(`${cfgHex}.json`, config),
      t.file(`${sha256(config2).slice(7)}.json`, config2),
      t.file('manifest.json', JSON.stringify([
        { Config: `${cfgHex}.json`, RepoTags: ['old:v1'], Layers: [`${v1a}/layer.tar`] },
        { Config: `${sha256(config2).slice(7)}.json`, RepoTags: null, Layers: [`${v1b}/layer.tar`] },
      ])),
      t.file('repositories', JSON.stringify({ old: { v1: v1a } })),
    ]);
    assert.deepEqual(await load(deps, gzipSync(archive)), ['Loaded image: old:v1\n', `Loaded image ID: ${sha256(config2)}\n`]);
    assert.equal(deps.images.resolve('old:v1').id, sha256(config));
    assert.ok((await collect(deps.layers.layerTar(sha256(layer)))).equals(layer));
  });
});

test('load accepts a plain OCI layout: index.json, nested index, gzip layers, names from annotations', async () => {
  await withTempDir(async (dir) => {
    const deps = await engine(join(dir, 'r'));
    const layer = await tarOf([t.file('f', 'oci')]);
    const gz = gzipSync(layer);
    const config = configFor([sha256(layer)]);
    const desc = (mediaType: string, b: Buffer, extra = {}) => ({ mediaType, digest: sha256(b), size: b.length, ...extra });
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: desc('application/vnd.oci.image.config.v1+json', config), layers: [desc('application/vnd.oci.image.layer.v1.tar+gzip', gz)] }));
    const other = Buffer.from(JSON.stringify({ schemaVersion: 2, config: desc('x', Buffer.from('{}')), layers: [] }));
    const nested = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      manifests: [
        desc('application/vnd.oci.image.manifest.v1+json', other, { platform: { os: 'linux', architecture: 's390x' } }),
        desc('application/vnd.oci.image.manifest.v1+json', manifest, { platform: { os: 'linux', architecture: process.arch === 'x64' ? 'amd64' : process.arch } }),
      ],
    }));
    const index = {
      schemaVersion: 2,
      manifests: [
        desc('application/vnd.oci.image.index.v1+json', nested, { annotations: { 'io.containerd.image.name': 'registry.local:5000/oci/app:2' } }),
        desc('application/vnd.oci.image.manifest.v1+json', manifest, { annotations: { 'org.opencontainers.image.ref.name': 'latest' } }),
      ],
    };
    const blob = (b: Buffer) => t.file(`blobs/sha256/${sha256(b).slice(7)}`, b);
    const archive = await tarOf([t.file('oci-layout', '{"imageLayoutVersion":"1.0.0"}'), t.file('index.json', JSON.stringify(index)), blob(gz), blob(config), blob(manifest), blob(nested)]);
    assert.deepEqual(await load(deps, archive), ['Loaded image: registry.local:5000/oci/app:2\n']);
    assert.equal(deps.images.resolve('registry.local:5000/oci/app:2').id, sha256(config));
  });
});

test('hostile or broken archives are refused with a clear error and leave nothing behind', async () => {
  await withTempDir(async (dir) => {
    const deps = await engine(join(dir, 'r'));
    const good = await tarOf([t.file('a', 'a')]);
    const good2 = await tarOf([t.file('b', 'b')]);
    const manifest = (layers: string[], config = 'c.json') => t.file('manifest.json', JSON.stringify([{ Config: config, RepoTags: ['x:1'], Layers: layers }]));

    await assert.rejects(load(deps, await tarOf([t.file('../../escape', 'x'), manifest([])])), /climbs out of the layer/);
    await assertClean(deps);

    await assert.rejects(load(deps, await tarOf([t.symlink('../../../etc/passwd', 'l/layer.tar'), t.file('c.json', configFor([sha256(good)])), manifest(['l/layer.tar'])])), /points outside the archive/);
    await assertClean(deps);

    await assert.rejects(load(deps, await tarOf([t.file('c.json', configFor([sha256(good)])), manifest(['nope/layer.tar'])])), /layer "nope\/layer.tar" is missing/);
    await assertClean(deps);

    // The first layer is right, the second is not what the config says: neither stays.
    const wrong = configFor([sha256(good), sha256(good)]);
    await assert.rejects(load(deps, await tarOf([t.file('1.tar', good), t.file('2.tar', good2), t.file('c.json', wrong), manifest(['1.tar', '2.tar'])])), /invalid diffID for layer 1 \(2.tar\): expected sha256:/);
    await assertClean(deps);

    await assert.rejects(load(deps, await tarOf([t.file('c.json', configFor([])), manifest(['1.tar'])])), /lists 0 layers, manifest.json 1/);
    await assertClean(deps);

    await assert.rejects(load(deps, await tarOf([t.file('random', 'x')])), /neither manifest.json nor an OCI index.json/);
    await assert.rejects(load(deps, Buffer.from('this is not a tar archive at all, just text'.repeat(20))), /invalid tar header at byte 0/);
    // A header claiming a petabyte is refused before anything is written.
    const huge = await tarOf([t.file('big', 'x')]);
    huge.fill(0, 124, 136);
    huge[124] = 0x80; // GNU base-256: 4 << 48 bytes, about a petabyte
    huge[129] = 0x04;
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : huge[i]!;
    huge.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
    await assert.rejects(load(deps, huge), /claims \d+ bytes, more than the \d+ bytes free/);
    await assertClean(deps);
  });
});
