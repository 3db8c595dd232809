// `docker save`: images and their tags as one tar in the shape Docker 25+ writes, an OCI image
// layout (oci-layout, index.json, blobs/sha256/…) that also carries the legacy manifest.json and
// repositories. Layers are streamed from their tar-split replay, never held in memory.
import { promises as fs } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { InvalidParameter, NotFound, SystemError } from '../../lib/errors.js';
import { writeTar, type TarWriteEntry } from '../../layers/archive/tar-writer.js';
import { chainIdOf } from '../../layers/store.js';
import type { Image } from '../store.js';
import { familiarName, familiarString, parseReference, type Reference } from '../reference.js';
import { ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME, MEDIA, type ArchiveDeps, type Descriptor, type ManifestItem } from './deps.js';

interface SavedImage {
  img: Image;
  /** Tagged references, in the order the names asked for them. */
  refs: Reference[];
}

type Blob = { digest: string; size: number; mtimeNs: bigint } & ({ data: Buffer } | { chainId: string });

const hex = (d: string) => d.replace(/^sha256:/, '');
const sha256 = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');

/** Which images, with which tags, the names given to `docker save` stand for (moby's parseNames). */
export function resolveSaveNames(names: string[], deps: ArchiveDeps): SavedImage[] {
  const out = new Map<string, SavedImage>();
  const add = (img: Image, ref?: Reference) => {
    let entry = out.get(img.id);
    if (!entry) out.set(img.id, (entry = { img, refs: [] }));
    if (ref?.tag && !ref.digest && !entry.refs.some((r) => r.name === ref.name && r.tag === ref.tag)) entry.refs.push(ref);
  };
  for (const name of names) {
    if (/^sha256:/.test(name) || /^[0-9a-f]{64}$/.test(name)) {
      add(deps.images.resolve(name));
      continue;
    }
    let ref: Reference;
    try {
      ref = parseReference(name);
    } catch {
      throw new InvalidParameter(`invalid reference format: ${name}`);
    }
    if (ref.digest) {
      add(deps.images.resolve(name));
    } else if (ref.tag) {
      const img = deps.images.tryResolve(name);
      if (!img) throw new NotFound(`No such image: ${name}`);
      add(img, ref);
    } else {
      // A bare repository name saves every tag of it; failing that it may be an ID prefix.
      let found = false;
      for (const img of deps.images.all()) {
        for (const r of deps.images.referencesOf(img.id)) {
          if (r.name === ref.name && r.tag) {
            add(img, r);
            found = true;
          }
        }
      }
      if (!found) add(deps.images.resolve(name));
    }
  }
  return [...out.values()];
}

/**
 * The config exactly as stored: its bytes are the image ID. Read from ImageStore's layout
 * (image/<driver>/imagedb/content), which keeps no raw bytes in memory.
 */
async function rawConfig(deps: ArchiveDeps, id: string): Promise<Buffer> {
  const path = join(deps.layers.imageRoot, 'imagedb', 'content', 'sha256', hex(id));
  const raw = await fs.readFile(path).catch((err: Error) => {
    throw new SystemError(`cannot read the config of image ${id}: ${err.message}`, { cause: err });
  });
  if (sha256(raw) !== id) throw new SystemError(`the stored config of image ${id} is corrupt`);
  return raw;
}

function createdNs(img: Image): bigint {
  const ms = Date.parse(img.config.created ?? '');
  return Number.isFinite(ms) && ms > 0 ? BigInt(ms) * 1_000_000n : 0n;
}

/** A layer's tar, failing the archive if the replay does not hash to the diffID it is filed under. */
async function* verifiedLayer(deps: ArchiveDeps, chainId: string, diffId: string): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  for await (const chunk of deps.layers.layerTar(chainId) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    yield chunk;
  }
  const got = 'sha256:' + hash.digest('hex');
  if (got !== diffId) throw new SystemError(`layer ${diffId} was exported as ${got}: its files changed since it was registered`);
}

/**
 * Resolves the names and plans the archive (so a bad name fails before any byte is sent), then
 * returns the tar stream.
 */
export async function saveImages(names: string[], deps: ArchiveDeps): Promise<Readable> {
  if (names.length === 0) throw new InvalidParameter('no image names given to save');
  const saved = resolveSaveNames(names, deps);
  const blobs = new Map<string, Blob>();
  const manifestJson: ManifestItem[] = [];
  const indexManifests: Descriptor[] = [];
  const repositories: Record<string, Record<string, string>> = {};

  for (const { img, refs } of saved) {
    const diffIds = img.config.rootfs?.diff_ids ?? [];
    const mtimeNs = createdNs(img);
    const layerDescs: Descriptor[] = [];
    for (let i = 0; i < diffIds.length; i++) {
      const diffId = diffIds[i]!;
      const chainId = chainIdOf(diffIds.slice(0, i + 1))!;
      if (!deps.layers.has(chainId)) throw new NotFound(`layer ${diffId} of image ${img.id} does not exist`);
      let blob = blobs.get(diffId);
      if (!blob) {
        blob = { digest: diffId, size: await deps.layers.layerTarSize(chainId), mtimeNs, chainId };
        blobs.set(diffId, blob);
      }
      layerDescs.push({ mediaType: MEDIA.layer, digest: diffId, size: blob.size });
    }
    const config = await rawConfig(deps, img.id);
    blobs.set(img.id, { digest: img.id, size: config.length, mtimeNs, data: config });

    const platform = { architecture: img.config.architecture, os: img.config.os, ...(img.config.variant ? { variant: img.config.variant } : {}) };
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA.manifest,
        config: { mediaType: MEDIA.config, digest: img.id, size: config.length },
        layers: layerDescs,
      }),
    );
    const manifestDigest = sha256(manifest);
    blobs.set(manifestDigest, { digest: manifestDigest, size: manifest.length, mtimeNs: 0n, data: manifest });
    const manifestDesc = { mediaType: MEDIA.manifest, digest: manifestDigest, size: manifest.length, platform };
    for (const ref of refs) {
      indexManifests.push({ ...manifestDesc, annotations: { [ANNOTATION_IMAGE_NAME]: `${ref.name}:${ref.tag}`, [ANNOTATION_REF_NAME]: ref.tag! } });
      if (diffIds.length) (repositories[familiarName(ref.name)] ??= {})[ref.tag!] = hex(diffIds[diffIds.length - 1]!);
    }
    // An untagged image is still listed, so OCI tools can find it.
    if (refs.length === 0) indexManifests.push(manifestDesc);

    manifestJson.push({
      Config: `blobs/sha256/${hex(img.id)}`,
      RepoTags: refs.length ? refs.map((r) => familiarString(r)) : null,
      Layers: diffIds.map((d) => `blobs/sha256/${hex(d)}`),
      LayerSources: Object.fromEntries(layerDescs.map((d) => [d.digest, d])),
    });
  }

  const index = { schemaVersion: 2, mediaType: MEDIA.index, manifests: indexManifests };
  const json = (v: unknown) => Buffer.from(JSON.stringify(v) + '\n');
  const file = (name: string, data: Buffer, mtimeNs = 0n): TarWriteEntry => ({
    header: { name, type: 'file', mode: 0o644, size: data.length, mtimeNs },
    body: data,
  });

  async function* entries(): AsyncGenerator<TarWriteEntry> {
    // Sorted as Docker's tar of its staging directory comes out.
    yield { header: { name: 'blobs/', type: 'dir', mode: 0o755 } };
    yield { header: { name: 'blobs/sha256/', type: 'dir', mode: 0o755 } };
    for (const blob of [...blobs.values()].sort((a, b) => a.digest.localeCompare(b.digest))) {
      const name = `blobs/sha256/${hex(blob.digest)}`;
      if ('data' in blob) {
        yield file(name, blob.data, blob.mtimeNs);
      } else {
        const body = Readable.from(verifiedLayer(deps, blob.chainId, blob.digest), { objectMode: false });
        yield { header: { name, type: 'file', mode: 0o644, size: blob.size, mtimeNs: blob.mtimeNs }, body };
      }
    }
    yield file('index.json', Buffer.from(JSON.stringify(index)));
    yield file('manifest.json', json(manifestJson));
    yield file('oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}'));
    if (Object.keys(repositories).length) yield file('repositories', json(repositories));
    for (const { img } of saved) deps.events?.publish('image', 'save', img.id, { name: img.id });
  }
  return writeTar(entries());
}
