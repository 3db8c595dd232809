// `docker load`: reads what `docker save` writes (OCI layout plus manifest.json), the older
// docker-archive (<id>/layer.tar, <id>.json) and plain OCI layouts, possibly compressed. The tar is
// spooled to a private temp dir first (manifest.json may come last), every layer is checked
// against the config's diffIDs as it is applied, and a failure leaves nothing behind.
import { createReadStream, promises as fs } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join, posix } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidParameter, errorMessage } from '../../lib/errors.js';
import { decompress } from '../../layers/archive/compression.js';
import { DigestMismatch } from '../../layers/archive/digest.js';
import { readTar } from '../../layers/archive/tar-reader.js';
import { cleanArchiveName, PathEscape } from '../../layers/archive/root-path.js';
import { chainIdOf } from '../../layers/store.js';
import { familiarString, parseReference, withDefaultTag } from '../reference.js';
import { ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME, MEDIA, type ArchiveDeps, type Descriptor, type ManifestItem } from './deps.js';

export type LoadMessage =
  | { stream: string }
  | { status: string; id: string; progressDetail: { current: number; total: number } };

/** The error of a refused archive; the message says which part of it was wrong. */
export class BadArchive extends InvalidParameter {}

const MAX_ENTRIES = 100_000;
const MAX_JSON = 32 << 20;
const MAX_LINK_HOPS = 40;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

interface Spooled {
  file: string;
  size: number;
}

/** The archive's files on disk under numbered names, so no archive path ever names a host path. */
class Spool {
  private files = new Map<string, Spooled>();
  private links = new Map<string, string>();
  private count = 0;

  constructor(readonly dir: string) {}

  async fill(input: Readable): Promise<void> {
    // The tar reader destroys what it reads on failure; the guard keeps that from the caller's
    // input (an HTTP request still has to carry the error answer back).
    const guard = new PassThrough();
    input.on('error', (err) => guard.destroy(err));
    input.pipe(guard);
    const { stream } = await decompress(guard);
    guard.on('error', (err) => stream.destroy(err));
    const { bavail, bsize } = await fs.statfs(this.dir);
    let free = Number(bavail) * Number(bsize);
    for await (const { header: h, body } of readTar(stream)) {
      if (++this.count > MAX_ENTRIES) throw new BadArchive(`invalid archive: more than ${MAX_ENTRIES} entries`);
      if (h.name.startsWith('/')) throw new BadArchive(`invalid archive: entry ${JSON.stringify(h.name)} has an absolute path`);
      let rel: string;
      try {
        rel = cleanArchiveName(h.name);
      } catch (err) {
        throw new BadArchive(`invalid archive: ${err instanceof PathEscape ? err.message : String(err)}`);
      }
      if (rel === '') continue;
      if (h.type === 'file') {
        if (h.size > free) throw new BadArchive(`invalid archive: entry ${JSON.stringify(h.name)} claims ${h.size} bytes, more than the ${free} bytes free in the data root`);
        free -= h.size;
        const file = join(this.dir, `f${this.count}`);
        await pipeline(body, (await fs.open(file, 'wx', 0o600)).createWriteStream());
        this.files.set(rel, { file, size: h.size });
        this.links.delete(rel);
      } else if (h.type === 'symlink' || h.type === 'hardlink') {
        if (h.linkname.startsWith('/')) throw new BadArchive(`invalid archive: link ${JSON.stringify(h.name)} points to an absolute path`);
        const target = posix.normalize(h.type === 'symlink' ? posix.join(posix.dirname(rel), h.linkname) : h.linkname);
        if (target === '..' || target.startsWith('../')) throw new BadArchive(`invalid archive: link ${JSON.stringify(h.name)} points outside the archive`);
        this.links.set(rel, target);
        this.files.delete(rel);
      }
    }
  }

  get(path: string): Spooled | undefined {
    let p = posix.normalize(path).replace(/^\/+/, '');
    for (let hops = 0; hops <= MAX_LINK_HOPS; hops++) {
      const f = this.files.get(p);
      if (f) return f;
      const next = this.links.get(p);
      if (next === undefined) return undefined;
      p = next;
    }
    return undefined;
  }

  has(path: string): boolean {
    return this.get(path) !== undefined;
  }

  need(path: string, what: string): Spooled {
    if (path.startsWith('/') || posix.normalize(path).startsWith('../')) throw new BadArchive(`invalid archive: ${what} path ${JSON.stringify(path)} points outside the archive`);
    const f = this.get(path);
    if (!f) throw new BadArchive(`invalid archive: ${what} ${JSON.stringify(path)} is missing`);
    return f;
  }

  async bytes(path: string, what: string): Promise<Buffer> {
    const f = this.need(path, what);
    if (f.size > MAX_JSON) throw new BadArchive(`invalid archive: ${what} ${JSON.stringify(path)} is too large (${f.size} bytes)`);
    return fs.readFile(f.file);
  }

  async json<T>(path: string, what: string): Promise<{ raw: Buffer; value: T }> {
    const raw = await this.bytes(path, what);
    try {
      return { raw, value: JSON.parse(raw.toString('utf8')) as T };
    } catch (err) {
      throw new BadArchive(`invalid archive: ${what} ${JSON.stringify(path)} is not valid JSON: ${(err as Error).message}`);
    }
  }

  open(path: string): Readable {
    return createReadStream(this.get(path)!.file);
  }
}

/** One image to load, whatever the archive's format. */
interface Plan {
  config: Buffer;
  diffIds: string[];
  layers: string[];
  tags: string[];
}

const sha256 = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');

function blobPath(d: Descriptor | undefined, what: string): string {
  if (!d || typeof d.digest !== 'string' || !DIGEST.test(d.digest)) throw new BadArchive(`invalid archive: ${what} has no valid sha256 digest`);
  return `blobs/sha256/${d.digest.slice(7)}`;
}

async function blob(spool: Spool, d: Descriptor, what: string): Promise<{ raw: Buffer; value: any }> {
  const path = blobPath(d, what);
  const { raw, value } = await spool.json<any>(path, what);
  if (sha256(raw) !== d.digest) throw new BadArchive(`invalid archive: ${what} ${d.digest} does not match its content`);
  return { raw, value };
}

function configDiffIds(config: Buffer, what: string): string[] {
  let parsed: { rootfs?: { diff_ids?: unknown } };
  try {
    parsed = JSON.parse(config.toString('utf8')) as typeof parsed;
  } catch (err) {
    throw new BadArchive(`invalid archive: ${what} is not valid JSON: ${(err as Error).message}`);
  }
  const ids = parsed?.rootfs?.diff_ids ?? [];
  if (!Array.isArray(ids) || !ids.every((d) => typeof d === 'string' && DIGEST.test(d))) throw new BadArchive(`invalid archive: ${what} has invalid rootfs.diff_ids`);
  return ids as string[];
}

/** Plans from manifest.json: Docker's save of any age (OCI blobs or <id>/layer.tar). */
async function planFromManifestJson(spool: Spool): Promise<Plan[]> {
  const { value } = await spool.json<ManifestItem[]>('manifest.json', 'manifest');
  if (!Array.isArray(value)) throw new BadArchive('invalid archive: manifest.json is not a list');
  const plans: Plan[] = [];
  for (const item of value) {
    if (!item || typeof item.Config !== 'string' || !Array.isArray(item.Layers) || !item.Layers.every((l) => typeof l === 'string')) {
      throw new BadArchive('invalid archive: manifest.json has an entry without Config or Layers');
    }
    const config = await spool.bytes(item.Config, 'image config');
    const diffIds = configDiffIds(config, `image config ${item.Config}`);
    if (diffIds.length !== item.Layers.length) {
      throw new BadArchive(`invalid archive: image config ${item.Config} lists ${diffIds.length} layers, manifest.json ${item.Layers.length}`);
    }
    for (const l of item.Layers) spool.need(l, 'layer');
    const tags = Array.isArray(item.RepoTags) ? item.RepoTags.filter((t): t is string => typeof t === 'string') : [];
    plans.push({ config, diffIds, layers: item.Layers, tags });
  }
  return plans;
}

const HOST_ARCH = process.arch === 'x64' ? 'amd64' : process.arch;

/** Plans from an OCI layout's index.json (nested indexes narrowed to this host's platform). */
async function planFromOciIndex(spool: Spool): Promise<Plan[]> {
  const { value: index } = await spool.json<{ manifests?: Descriptor[] }>('index.json', 'OCI index');
  const byManifest = new Map<string, { desc: Descriptor; tags: string[] }>();
  const visit = async (descs: unknown, depth: number, tags: string[]): Promise<void> => {
    if (!Array.isArray(descs)) throw new BadArchive('invalid archive: an OCI index has no manifests list');
    if (depth > 4) throw new BadArchive('invalid archive: OCI indexes nested too deeply');
    for (const d of descs as Descriptor[]) {
      const own = [...tags];
      const name = d?.annotations?.[ANNOTATION_IMAGE_NAME] ?? d?.annotations?.[ANNOTATION_REF_NAME];
      // org.opencontainers.image.ref.name is often only a tag; without a repository it names nothing.
      if (name && /[:/]/.test(name)) {
        try {
          const ref = withDefaultTag(parseReference(name));
          if (ref.tag && !ref.digest) own.push(familiarString(ref));
        } catch {
          // not a reference: ignored, as Docker does
        }
      }
      if (d?.mediaType === MEDIA.index || d?.mediaType === MEDIA.dockerList) {
        const { value } = await blob(spool, d, 'OCI index');
        const list = (value?.manifests ?? []) as Descriptor[];
        const forHost = list.filter((m) => !m.platform || (m.platform.os === 'linux' && m.platform.architecture === HOST_ARCH));
        await visit(forHost.slice(0, 1), depth + 1, own);
      } else {
        blobPath(d, 'manifest');
        const seen = byManifest.get(d.digest);
        if (seen) seen.tags.push(...own);
        else byManifest.set(d.digest, { desc: d, tags: own });
      }
    }
  };
  await visit(index?.manifests, 0, []);
  const plans: Plan[] = [];
  for (const { desc, tags } of byManifest.values()) {
    const { value: m } = await blob(spool, desc, 'manifest');
    const configPath = blobPath(m?.config, 'image config');
    const config = await spool.bytes(configPath, 'image config');
    if (sha256(config) !== m.config.digest) throw new BadArchive(`invalid archive: image config ${m.config.digest} does not match its content`);
    const layerDescs = (Array.isArray(m.layers) ? m.layers : []) as Descriptor[];
    const layers = layerDescs.map((l, i) => blobPath(l, `layer ${i}`));
    const diffIds = configDiffIds(config, `image config ${m.config.digest}`);
    if (diffIds.length !== layers.length) throw new BadArchive(`invalid archive: image config ${m.config.digest} lists ${diffIds.length} layers, its manifest ${layers.length}`);
    for (const l of layers) spool.need(l, 'layer');
    plans.push({ config, diffIds, layers, tags: [...new Set(tags)] });
  }
  return plans;
}

function progress(id: string, size: number): LoadMessage {
  return { status: 'Loading layer', id: id.slice(7, 19), progressDetail: { current: size, total: size } };
}

/**
 * Loads every image in the archive; yields Docker's JSON messages ("Loaded image: …"). Throws
 * (after removing whatever it had added) when the archive is refused.
 */
export async function* loadImages(input: Readable, deps: ArchiveDeps, opts: { quiet?: boolean } = {}): AsyncGenerator<LoadMessage> {
  const tmpRoot = join(deps.dataRoot, 'tmp');
  await fs.mkdir(tmpRoot, { recursive: true, mode: 0o700 });
  const dir = join(tmpRoot, `load-${randomBytes(8).toString('hex')}`);
  await fs.mkdir(dir, { mode: 0o700 });
  const created: string[] = [];
  try {
    const spool = new Spool(dir);
    await spool.fill(input);
    let plans: Plan[];
    if (spool.has('manifest.json')) plans = await planFromManifestJson(spool);
    else if (spool.has('index.json')) plans = await planFromOciIndex(spool);
    else throw new BadArchive('invalid archive: it holds neither manifest.json nor an OCI index.json (is it a docker save or OCI image archive?)');
    if (plans.length === 0) throw new BadArchive('invalid archive: it holds no images');
    for (const p of plans) p.tags = p.tags.map((t) => normalizeTag(t));

    // Layers of every image first, so a bad one leaves no half-loaded image behind.
    for (const p of plans) {
      let parent: string | undefined;
      for (let i = 0; i < p.layers.length; i++) {
        const diffId = p.diffIds[i]!;
        const chainId = chainIdOf(p.diffIds.slice(0, i + 1))!;
        if (!deps.layers.has(chainId)) {
          try {
            await deps.layers.register(spool.open(p.layers[i]!), parent, { expectedDiffId: diffId });
          } catch (err) {
            if (err instanceof DigestMismatch || /digest mismatch/.test(errorMessage(err))) {
              throw new BadArchive(`invalid diffID for layer ${i} (${p.layers[i]}): expected ${diffId}, the layer's content hashes otherwise`);
            }
            throw err;
          }
          created.push(chainId);
          if (!opts.quiet) yield progress(diffId, spool.get(p.layers[i]!)!.size);
        }
        parent = chainId;
      }
    }

    // From here on the layers are committed: the images that use them follow.
    created.length = 0;
    for (const p of plans) {
      const img = await deps.images.create(p.config);
      deps.events?.publish('image', 'load', img.id, { name: img.id });
      for (const tag of p.tags) {
        const old = deps.images.tryResolve(tag);
        if (old && old.id !== img.id) {
          yield { stream: `The image ${tag} already exists, renaming the old one with ID ${old.id} to empty string\n` };
        }
        await deps.images.tag(img.id, tag);
        deps.events?.publish('image', 'tag', img.id, { name: tag });
        yield { stream: `Loaded image: ${tag}\n` };
      }
      if (p.tags.length === 0) yield { stream: `Loaded image ID: ${img.id}\n` };
    }
  } catch (err) {
    // What is left of the input is read and dropped, so the sender gets the answer.
    input.unpipe();
    input.resume();
    throw err;
  } finally {
    const mine = new Set(created);
    for (const c of created.reverse()) await deps.layers.release(c, (x) => !mine.has(x)).catch(() => undefined);
    await fs.rm(dir, { recursive: true, force: true });
  }
}

function normalizeTag(t: string): string {
  let ref;
  try {
    ref = withDefaultTag(parseReference(t));
  } catch {
    throw new BadArchive(`invalid archive: invalid tag ${JSON.stringify(t)}`);
  }
  if (ref.digest) throw new BadArchive(`invalid archive: ${JSON.stringify(t)} is a digest reference, not a tag`);
  return familiarString(ref);
}
