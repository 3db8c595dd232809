// `docker pull`: resolves the reference to one platform's manifest, downloads its config and
// the layers not already present (three at a time), and registers each layer on its parent as
// soon as the parent exists, all of a layer's bytes on worker threads (the layer store's). The
// next layer in line streams straight from the network through digest check, decompression,
// diffID hashing and extraction; layers that arrive early wait in the file that becomes their
// kept copy. Nothing half-pulled stays behind: a failed layer is removed by the layer store and
// layers of an image that was never created are released. Each layer's compressed bytes are kept
// (kept-blobs.ts) and become visible only once the image they belong to exists.
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { InvalidParameter, NotFound, Forbidden, BerthError, Unavailable } from '../../lib/errors.js';
import { DigestStream } from '../../layers/archive/digest.js';
import { chainIdOf, type LayerStore } from '../../layers/store.js';
import type { ImageService } from '../../images/service.js';
import type { ImageConfig } from '../../images/store.js';
import { parseReference, familiarName, familiarString, type Reference } from '../../images/reference.js';
import type { EventBus } from '../../daemon/events.js';
import { pullEndpoints, repoPath, type RegistryOptions, type Endpoint } from './endpoints.js';
import { RegistrySession } from './session.js';
import type { AuthConfig } from './credentials.js';
import { ACCEPT, parseManifest, selectPlatform, type Descriptor, type ImageManifest, type Platform } from './manifests.js';
import { readAll, errorText, TransportError } from './http.js';
import { readBlob } from './blob-reader.js';
import { Progress, shortDigest } from './progress.js';
import type { DistributionMetadata } from './metadata.js';
import type { KeptBlobs, PendingBlob } from './kept-blobs.js';
import { downloadToFile, type LocalBlob, type RemoteBlob } from '../../layers/archive/apply-in-worker.js';

export interface DistributionDeps {
  layers: LayerStore;
  images: ImageService;
  metadata: DistributionMetadata;
  events: EventBus;
  /** Read at each use: daemon.json may be reloaded. */
  options: () => RegistryOptions;
  /** Compressed blobs kept from pulls, pushed as they are. */
  kept: KeptBlobs;
  dataRoot: string;
  /** Layers downloaded at once. */
  concurrency?: number;
}

const MAX_MANIFEST = 4 << 20;
const MAX_CONFIG = 8 << 20;

/** `fromImage` + `tag` of POST /images/create → one reference with a tag or digest. */
export function pullReference(fromImage: string, tag: string | null | undefined): Reference {
  const ref = parseReference(fromImage);
  if (tag && !ref.tag && !ref.digest) {
    if (/^[a-z0-9]+:[0-9a-f]{32,}$/.test(tag)) return { ...ref, digest: tag };
    return parseReference(`${fromImage}:${tag}`);
  }
  return ref.tag || ref.digest ? ref : { ...ref, tag: 'latest' };
}

export interface ResolvedManifest {
  /** Digest of what the reference names (an index or a manifest): recorded as RepoDigest. */
  digest: string;
  mediaType: string;
  size: number;
  manifest: ImageManifest;
  /** Platforms an index offers, or the one image's (known after its config is read). */
  platforms?: Platform[];
}

/** GET of a manifest by tag or digest, checked against the digest when one was asked for. */
export async function fetchManifest(session: RegistrySession, repo: string, refName: string, reference: string): Promise<{ raw: Buffer; digest: string; contentType: string }> {
  const res = await session.request(`/v2/${repo}/manifests/${reference}`, { headers: { accept: ACCEPT } });
  const status = res.statusCode ?? 0;
  if (status === 404) {
    const e = await errorText(res);
    if (e.code === 'NAME_UNKNOWN') throw new NotFound(`pull access denied for ${familiarName(refName)}, repository does not exist or may require 'docker login': ${e.text}`);
    throw new NotFound(`manifest for ${familiarName(refName)}${reference.startsWith('sha256:') ? '@' : ':'}${reference} not found: ${e.text}`);
  }
  if (status === 401 || status === 403) {
    throw new Forbidden(`pull access denied for ${familiarName(refName)}, repository does not exist or may require 'docker login': denied: ${(await errorText(res)).text}`);
  }
  if (status !== 200) throw new TransportError(`GET manifest ${reference} of ${repo}: ${(await errorText(res)).text}`);
  const raw = await readAll(res, MAX_MANIFEST);
  const digest = 'sha256:' + createHash('sha256').update(raw).digest('hex');
  if (reference.startsWith('sha256:') && reference !== digest) {
    throw new InvalidParameter(`manifest verification failed for digest ${reference}: the registry sent content with digest ${digest}`);
  }
  return { raw, digest, contentType: String(res.headers['content-type'] ?? '') };
}

/** The manifest for `platform` that `reference` names, following an index. */
export async function resolveManifest(session: RegistrySession, ref: Reference, platform: Platform): Promise<ResolvedManifest> {
  const repo = repoPath(ref.name);
  const top = await fetchManifest(session, repo, ref.name, ref.digest ?? ref.tag ?? 'latest');
  const parsed = parseManifest(top.raw, top.contentType);
  if (parsed.kind === 'manifest') return { digest: top.digest, mediaType: parsed.mediaType, size: top.raw.length, manifest: parsed };
  const chosen = selectPlatform(parsed, platform);
  const inner = await fetchManifest(session, repo, ref.name, chosen.digest);
  const m = parseManifest(inner.raw, inner.contentType);
  if (m.kind !== 'manifest') throw new InvalidParameter(`manifest ${chosen.digest} in the index of ${familiarString(ref)} is itself an index`);
  return {
    digest: top.digest,
    mediaType: parsed.mediaType,
    size: top.raw.length,
    manifest: m,
    platforms: parsed.manifests.filter((d) => d.platform).map((d) => ({ os: d.platform!.os, architecture: d.platform!.architecture, ...(d.platform!.variant ? { variant: d.platform!.variant } : {}) })),
  };
}

export async function fetchConfig(session: RegistrySession, repo: string, d: Descriptor): Promise<Buffer> {
  if (d.size > MAX_CONFIG) throw new InvalidParameter(`image config ${d.digest} is too large (${d.size} bytes)`);
  const chunks: Buffer[] = [];
  const check = new DigestStream(d.digest);
  await pipeline(readBlob(session, repo, d.digest, d.size), check, async function* (src: AsyncIterable<Buffer>) {
    for await (const c of src) chunks.push(c);
  });
  return Buffer.concat(chunks);
}

/** Tries the endpoints in order; a connection failure moves to the next one. */
export async function withEndpoint<T>(endpoints: Endpoint[], fn: (e: Endpoint) => Promise<T>): Promise<T> {
  let last: unknown;
  for (const e of endpoints) {
    try {
      return await fn(e);
    } catch (err) {
      last = err;
      if (err instanceof BerthError && !(err instanceof Unavailable)) throw err;
    }
  }
  throw last;
}

export async function pull(deps: DistributionDeps, ref: Reference, auth: AuthConfig, platform: Platform, progress: Progress): Promise<void> {
  const repo = repoPath(ref.name);
  const endpoints = pullEndpoints(ref.name.split('/')[0]!, deps.options());
  const shown = ref.digest ?? ref.tag ?? 'latest';
  await withEndpoint(endpoints, async (endpoint) => {
    const session = new RegistrySession(endpoint, auth, [`repository:${repo}:pull`]);
    await session.ping();
    progress.status(`Pulling from ${repo}`, shown);
    const resolved = await resolveManifest(session, ref, platform);
    const m = resolved.manifest;
    const configRaw = await fetchConfig(session, repo, m.config);
    const config = JSON.parse(configRaw.toString()) as ImageConfig;
    const diffIds = config.rootfs?.diff_ids ?? [];
    const layers = m.layers.filter((l) => !l.mediaType.includes('foreign') && !l.mediaType.includes('nondistributable'));
    if (diffIds.length !== layers.length) {
      throw new InvalidParameter(`image config ${m.config.digest} lists ${diffIds.length} layers but its manifest has ${layers.length}`);
    }
    const chains = diffIds.map((_, i) => chainIdOf(diffIds.slice(0, i + 1))!);
    const pending: PendingBlob[] = [];
    try {
      await fetchLayers(deps, session, repo, ref, layers, diffIds, chains, progress, pending);
      const newer = await createImage(deps, ref, resolved, configRaw, layers, diffIds);
      for (const p of pending) await deps.kept.commit(p);
      deps.events.publish('image', 'pull', familiarString(ref), { name: familiarString(ref) });
      progress.status(`Digest: ${resolved.digest}`);
      progress.status(newer ? `Status: Downloaded newer image for ${familiarString(ref)}` : `Status: Image is up to date for ${familiarString(ref)}`);
    } finally {
      for (const p of pending) await deps.kept.discard(p);
    }
  });
}

/** Stores the config, records tags, digests and blob metadata; tells whether the tag moved. */
async function createImage(deps: DistributionDeps, ref: Reference, resolved: ResolvedManifest, configRaw: Buffer, layers: Descriptor[], diffIds: string[]): Promise<boolean> {
  const imageId = resolved.manifest.config.digest;
  const tagRef = ref.tag ? `${ref.name}:${ref.tag}` : undefined;
  const before = tagRef ? deps.images.store.tryResolve(tagRef)?.id : deps.images.store.byId(imageId)?.id;
  const img = await deps.images.store.create(configRaw);
  if (img.id !== imageId) throw new InvalidParameter(`image config digest mismatch: expected ${imageId}, stored ${img.id}`);
  await deps.images.store.tag(img.id, `${ref.name}@${resolved.digest}`);
  if (tagRef) await deps.images.tag(img.id, tagRef);
  for (let i = 0; i < layers.length; i++) await deps.metadata.add(diffIds[i]!, { Digest: layers[i]!.digest, SourceRepository: ref.name });
  return before !== img.id;
}

/** Downloads and registers the layers the store lacks, base first, `concurrency` downloads at once. */
async function fetchLayers(deps: DistributionDeps, session: RegistrySession, repo: string, ref: Reference, layers: Descriptor[], diffIds: string[], chains: string[], progress: Progress, pending: PendingBlob[]): Promise<void> {
  const n = layers.length;
  const registered: Promise<void>[] = new Array(n);
  const resolvers: { resolve(): void; reject(e: unknown): void }[] = [];
  for (let i = 0; i < n; i++) {
    registered[i] = new Promise<void>((resolve, reject) => (resolvers[i] = { resolve, reject }));
    registered[i]!.catch(() => undefined);
  }
  const done = new Array<boolean>(n).fill(false);
  const newlyRegistered: string[] = [];
  const abort = new AbortController();
  const todo: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = shortDigest(layers[i]!.digest);
    if (deps.layers.has(chains[i]!)) {
      progress.status('Already exists', id);
      done[i] = true;
      resolvers[i]!.resolve();
    } else {
      progress.status('Pulling fs layer', id);
      todo.push(i);
    }
  }
  const limit = deps.concurrency ?? 3;
  for (const i of todo.slice(limit)) progress.status('Waiting', shortDigest(layers[i]!.digest));

  const one = async (i: number): Promise<void> => {
    const d = layers[i]!;
    const id = shortDigest(d.digest);
    const parent = i > 0 ? chains[i - 1] : undefined;
    const parentReady = i === 0 || done[i - 1];
    const keep = deps.kept.pending(d.digest);
    pending.push(keep);
    const onBytes = (c: number) => progress.bytes(id, 'Downloading', c, d.size);
    const downloaded = () => {
      progress.status('Verifying Checksum', id);
      progress.status('Download complete', id);
    };
    const remote: RemoteBlob = {
      repo,
      digest: d.digest,
      size: d.size,
      prepare: (renew) => session.prepare(`/v2/${repo}/blobs/${d.digest}`, renew),
      onBytes: (n) => {
        onBytes(n);
        if (n === d.size) downloaded();
      },
      signal: abort.signal,
    };
    if (parentReady) {
      // Next in line: a worker downloads the blob and checks its digest (this thread only answers
      // for credentials) and hands it to the layer store's apply worker, which writes the kept copy
      // and registers it (gunzip, diffID, extraction) in one stream.
      await registerChecked(deps, remote, parent, diffIds[i]!, chains[i]!, newlyRegistered, keep.tmp);
    } else {
      // An early download waits in what becomes the kept copy, then is registered from there.
      await downloadToFile(remote, keep.tmp);
      await registered[i - 1];
      abort.signal.throwIfAborted();
      const local: LocalBlob = { file: keep.tmp, onBytes: (n) => progress.bytes(id, 'Extracting', n, d.size) };
      await registerChecked(deps, local, parent, diffIds[i]!, chains[i]!, newlyRegistered);
    }
    progress.bytes(id, 'Extracting', d.size, d.size);
    progress.status('Pull complete', id);
    done[i] = true;
    resolvers[i]!.resolve();
  };

  try {
    let next = 0;
    const worker = async () => {
      while (next < todo.length) {
        const i = todo[next++]!;
        try {
          await one(i);
        } catch (err) {
          resolvers[i]!.reject(err);
          abort.abort(err);
          throw err;
        }
      }
    };
    // Every download settles before cleaning up, so none registers a layer after the release below.
    const results = await Promise.allSettled(Array.from({ length: Math.min(limit, todo.length) }, worker));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw abort.signal.reason ?? failed.reason;
  } catch (err) {
    // Whole layers registered for an image that will not exist are released, base last.
    for (const c of newlyRegistered.reverse()) await deps.layers.release(c, (x) => deps.images.layerInUse(x)).catch(() => undefined);
    throw err instanceof Error && err.name === 'AbortError' && abort.signal.reason instanceof Error ? abort.signal.reason : err;
  }
}

/** Registers a layer stream (read to its end by the layer store, so a digest check at the end is in). */
async function registerChecked(deps: DistributionDeps, input: Readable | RemoteBlob | LocalBlob, parent: string | undefined, diffId: string, chainId: string, newly: string[], keepInputAt?: string): Promise<void> {
  const existed = deps.layers.has(chainId);
  let layer;
  try {
    layer = await deps.layers.register(input, parent, { expectedDiffId: diffId, keepInputAt });
  } catch (err) {
    throw new InvalidParameter(`failed to register layer: ${(err as Error).message}`);
  }
  if (!existed) newly.push(layer.chainId);
  if (layer.chainId !== chainId) throw new InvalidParameter(`layer chain mismatch: expected ${chainId}, got ${layer.chainId}`);
}
