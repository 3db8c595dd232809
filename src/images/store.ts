// The image store: image configs addressed by the sha256 of their bytes (imagedb/content), their
// parent links (imagedb/metadata) and the tag and digest references (repositories.json), laid out
// as Docker's under image/<driver>/.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { NotFound, InvalidParameter, Conflict } from '../lib/errors.js';
import { writeFileAtomic, readJsonIfExists, writeJsonAtomic } from '../lib/atomic-file.js';
import { chainIdsOf } from '../layers/store.js';
import { parseReference, withDefaultTag, familiarName, looksLikeId, type Reference } from './reference.js';

/** The image configuration JSON (OCI image config with Docker's extra fields). */
export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  author?: string;
  comment?: string;
  docker_version?: string;
  config?: ContainerImageConfig;
  container?: string;
  container_config?: ContainerImageConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: HistoryEntry[];
}

export interface ContainerImageConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  WorkingDir?: string;
  ExposedPorts?: Record<string, object> | null;
  Volumes?: Record<string, object> | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  Healthcheck?: unknown;
  OnBuild?: string[] | null;
  Shell?: string[] | null;
  ArgsEscaped?: boolean;
  [k: string]: unknown;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface Image {
  id: string;
  config: ImageConfig;
  parent?: string;
  lastTagTime?: string;
}

interface RepositoriesFile {
  Repositories: Record<string, Record<string, string>>;
}

export class ImageStore {
  private images = new Map<string, Image>();
  private readonly chainIdCache = new WeakMap<Image, Set<string>>();
  /** full reference string (name:tag or name@digest) → image id */
  private refs = new Map<string, string>();
  private readonly root: string;

  /** Each storage driver keeps its own images (image/<driver>/), as Docker does. */
  constructor(dataRoot: string, storageDriver = 'overlay2') {
    this.root = join(dataRoot, 'image', storageDriver);
  }

  private contentPath(id: string): string {
    return join(this.root, 'imagedb', 'content', 'sha256', id.replace(/^sha256:/, ''));
  }

  private metaDir(id: string): string {
    return join(this.root, 'imagedb', 'metadata', 'sha256', id.replace(/^sha256:/, ''));
  }

  async init(): Promise<void> {
    await fs.mkdir(join(this.root, 'imagedb', 'content', 'sha256'), { recursive: true });
    await fs.mkdir(join(this.root, 'imagedb', 'metadata', 'sha256'), { recursive: true });
    for (const h of await fs.readdir(join(this.root, 'imagedb', 'content', 'sha256'))) {
      if (h.startsWith('.')) continue;
      const raw = await fs.readFile(join(this.root, 'imagedb', 'content', 'sha256', h));
      if (createHash('sha256').update(raw).digest('hex') !== h) continue; // torn write: ignore
      const id = 'sha256:' + h;
      const parent = await fs.readFile(join(this.metaDir(id), 'parent'), 'utf8').catch(() => '');
      const lastTagTime = await fs.readFile(join(this.metaDir(id), 'lastUpdated'), 'utf8').catch(() => '');
      this.images.set(id, { id, config: JSON.parse(raw.toString()) as ImageConfig, parent: parent || undefined, lastTagTime: lastTagTime || undefined });
    }
    const repos = await readJsonIfExists<RepositoriesFile>(join(this.root, 'repositories.json'));
    for (const tags of Object.values(repos?.Repositories ?? {})) {
      for (const [ref, id] of Object.entries(tags)) {
        if (this.images.has(id)) this.refs.set(refKey(withDefaultTag(parseReference(ref))), id);
      }
    }
  }

  /** Stores an image config and returns the image (existing if the bytes are known). */
  async create(raw: Buffer, parent?: string): Promise<Image> {
    const id = 'sha256:' + createHash('sha256').update(raw).digest('hex');
    const existing = this.images.get(id);
    if (existing) return existing;
    let config: ImageConfig;
    try {
      config = JSON.parse(raw.toString()) as ImageConfig;
    } catch {
      throw new InvalidParameter('invalid image config JSON');
    }
    if (parent) {
      await fs.mkdir(this.metaDir(id), { recursive: true });
      await writeFileAtomic(join(this.metaDir(id), 'parent'), parent);
    }
    await writeFileAtomic(this.contentPath(id), raw, 0o600);
    const img = { id, config, parent };
    this.images.set(id, img);
    return img;
  }

  all(): Image[] {
    return [...this.images.values()];
  }

  /** Whether an image's rootfs holds the layer with this chainID (its own or one under it). */
  usesLayer(chainId: string): boolean {
    return this.all().some((i) => this.chainIdsOf(i).has(chainId));
  }

  /** Every container removal asks usesLayer: hash each (immutable) image's chain once. */
  private chainIdsOf(img: Image): Set<string> {
    let ids = this.chainIdCache.get(img);
    if (!ids) this.chainIdCache.set(img, (ids = new Set(chainIdsOf(img.config.rootfs.diff_ids))));
    return ids;
  }

  byId(id: string): Image | undefined {
    return this.images.get(id);
  }

  /** Resolves a name, name:tag, name@digest, full ID or unique ID prefix, as Docker does. */
  resolve(input: string): Image {
    const img = this.tryResolve(input);
    if (!img) throw new NotFound(`No such image: ${input}`);
    return img;
  }

  tryResolve(input: string): Image | undefined {
    const full = input.startsWith('sha256:') ? input : 'sha256:' + input;
    if (this.images.has(full)) return this.images.get(full);
    try {
      const id = this.refs.get(refKey(withDefaultTag(parseReference(input))));
      if (id) return this.images.get(id);
    } catch {
      // not a valid reference: it may still be an ID prefix
    }
    if (!looksLikeId(input)) return undefined;
    const matches = [...this.images.keys()].filter((id) => id.startsWith(full));
    return matches.length === 1 ? this.images.get(matches[0]!) : undefined;
  }

  referencesOf(id: string): Reference[] {
    const out: Reference[] = [];
    for (const [key, v] of this.refs) if (v === id) out.push(parseKey(key));
    return out.sort((a, b) => refKey(a).localeCompare(refKey(b)));
  }

  repoTags(id: string): string[] {
    return this.referencesOf(id)
      .filter((r) => r.tag)
      .map((r) => `${familiarName(r.name)}:${r.tag}`);
  }

  repoDigests(id: string): string[] {
    return this.referencesOf(id)
      .filter((r) => r.digest)
      .map((r) => `${familiarName(r.name)}@${r.digest}`);
  }

  async tag(id: string, refText: string): Promise<Reference> {
    const ref = withDefaultTag(parseReference(refText));
    if (ref.digest && ref.tag) throw new InvalidParameter('refusing to create a tag with a digest reference');
    // As dockerd's reference store: a tag that already names this image is not written again.
    const changed = this.refs.get(refKey(ref)) !== id;
    this.refs.set(refKey(ref), id);
    const now = new Date().toISOString();
    await fs.mkdir(this.metaDir(id), { recursive: true });
    await writeFileAtomic(join(this.metaDir(id), 'lastUpdated'), now);
    const img = this.images.get(id);
    if (img) img.lastTagTime = now;
    if (changed) await this.saveRefs();
    return ref;
  }

  /** Removes a tag or digest reference; returns the image it pointed to. */
  async untag(refText: string): Promise<string> {
    const ref = withDefaultTag(parseReference(refText));
    const key = refKey(ref);
    const id = this.refs.get(key);
    if (!id) throw new NotFound(`No such image: ${refText}`);
    this.refs.delete(key);
    await this.saveRefs();
    return id;
  }

  async delete(id: string): Promise<void> {
    if ([...this.refs.values()].includes(id)) throw new Conflict(`image ${id} is still referenced`);
    await fs.rm(this.contentPath(id), { force: true });
    await fs.rm(this.metaDir(id), { recursive: true, force: true });
    this.images.delete(id);
  }

  children(id: string): Image[] {
    return this.all().filter((i) => i.parent === id);
  }

  private async saveRefs(): Promise<void> {
    const out: RepositoriesFile = { Repositories: {} };
    for (const [key, id] of this.refs) {
      const ref = parseKey(key);
      const fam = familiarName(ref.name);
      const repo = (out.Repositories[fam] ??= {});
      repo[ref.tag ? `${fam}:${ref.tag}` : `${fam}@${ref.digest}`] = id;
    }
    await writeJsonAtomic(join(this.root, 'repositories.json'), out);
  }
}

function refKey(ref: Reference): string {
  return ref.digest ? `${ref.name}@${ref.digest}` : `${ref.name}:${ref.tag}`;
}

function parseKey(key: string): Reference {
  const at = key.indexOf('@');
  if (at >= 0) return { name: key.slice(0, at), digest: key.slice(at + 1) };
  const c = key.lastIndexOf(':');
  return { name: key.slice(0, c), tag: key.slice(c + 1) };
}
