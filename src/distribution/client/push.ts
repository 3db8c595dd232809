// `docker push`: for each tag of the repository, makes sure the registry holds every layer
// (HEAD of a digest the layer is known by, a cross-repository mount, an upload of the compressed
// blob kept from its pull, or of the layer tar compressed on all cores), then the config and a schema2 manifest; the pushed manifest's
// digest becomes a RepoDigest of the local image.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { Transform, type Readable, type Writable, type TransformCallback } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { InvalidParameter, NotFound, Forbidden } from '../../lib/errors.js';
import { DigestStream } from '../../layers/archive/digest.js';
import { chainIdOf } from '../../layers/store.js';
import { parseReference, familiarName, domainOf, type Reference } from '../../images/reference.js';
import type { Image } from '../../images/store.js';
import { pushEndpoint, repoPath } from './endpoints.js';
import { RegistrySession } from './session.js';
import type { AuthConfig } from './credentials.js';
import { buildSchema2, MT, type Descriptor } from './manifests.js';
import { errorText, TransportError } from './http.js';
import { ParallelGzip } from './parallel-gzip.js';
import { Progress, shortDigest } from './progress.js';
import type { DistributionDeps } from './pull.js';

/** The tags `docker push NAME[:TAG]` sends: the one given, or every tag of the repository. */
export function tagsToPush(deps: DistributionDeps, ref: Reference, tag: string | undefined): { tag: string; image: Image }[] {
  if (tag) {
    const image = deps.images.store.tryResolve(`${ref.name}:${tag}`);
    if (!image) throw new NotFound(`tag does not exist: ${familiarName(ref.name)}:${tag}`);
    return [{ tag, image }];
  }
  const out: { tag: string; image: Image }[] = [];
  for (const image of deps.images.store.all()) {
    for (const r of deps.images.store.referencesOf(image.id)) if (r.name === ref.name && r.tag) out.push({ tag: r.tag, image });
  }
  if (out.length === 0) throw new NotFound(`An image does not exist locally with the tag: ${familiarName(ref.name)}`);
  return out.sort((a, b) => a.tag.localeCompare(b.tag));
}

export async function push(deps: DistributionDeps, name: string, tag: string | undefined, auth: AuthConfig, progress: Progress): Promise<void> {
  const ref = parseReference(name);
  if (ref.digest) throw new InvalidParameter('cannot push a digest reference');
  const tags = tagsToPush(deps, ref, tag ?? ref.tag);
  const endpoint = pushEndpoint(domainOf(ref.name), deps.options());
  const repo = repoPath(ref.name);

  // Repositories on the same registry holding our layers may lend them by cross-repo mount.
  const mountSources = new Set<string>();
  for (const { image } of tags) {
    for (const d of image.config.rootfs.diff_ids) {
      for (const m of await deps.metadata.get(d)) {
        if (domainOf(m.SourceRepository) === endpoint.domain && m.SourceRepository !== ref.name) mountSources.add(repoPath(m.SourceRepository));
      }
    }
  }
  const scopes = [`repository:${repo}:pull,push`, ...[...mountSources].slice(0, 10).map((r) => `repository:${r}:pull`)];
  const session = new RegistrySession(endpoint, auth, scopes);
  progress.status(`The push refers to repository [${ref.name}]`);
  await session.ping();

  for (const { tag: t, image } of tags) {
    const diffIds = image.config.rootfs.diff_ids;
    const chains = diffIds.map((_, i) => chainIdOf(diffIds.slice(0, i + 1))!);
    const order = [...diffIds.keys()].reverse();
    for (const i of order) progress.status('Preparing', shortDigest(diffIds[i]!));
    const descriptors: Descriptor[] = new Array(diffIds.length);
    let next = 0;
    const limit = deps.concurrency ?? 3;
    for (const i of order.slice(limit)) progress.status('Waiting', shortDigest(diffIds[i]!));
    const worker = async () => {
      while (next < order.length) {
        const i = order[next++]!;
        descriptors[i] = await pushLayer(deps, session, ref, repo, diffIds[i]!, chains[i]!, progress);
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, order.length) }, worker));

    const configDigest = image.id;
    // The stored config bytes are what the ID hashes; re-serialising may differ, so send the file.
    const raw = await readFile(join(deps.layers.imageRoot, 'imagedb', 'content', 'sha256', configDigest.replace(/^sha256:/, '')));
    if ('sha256:' + createHash('sha256').update(raw).digest('hex') !== configDigest) {
      throw new InvalidParameter(`cannot push ${familiarName(ref.name)}:${t}: the stored config of ${configDigest} does not hash to its ID`);
    }
    if (!(await blobExists(session, repo, configDigest))) await uploadBuffer(session, repo, configDigest, raw);

    const manifest = buildSchema2({ mediaType: MT.dockerConfig, digest: configDigest, size: raw.length }, descriptors);
    const res = await session.request(`/v2/${repo}/manifests/${t}`, { method: 'PUT', headers: { 'content-type': MT.dockerManifest, 'content-length': manifest.length }, body: manifest });
    await expectStatus(res, [201, 200], `PUT manifest ${t}`, ref);
    const digest = 'sha256:' + createHash('sha256').update(manifest).digest('hex');
    await deps.images.store.tag(image.id, `${ref.name}@${digest}`);
    deps.events.publish('image', 'push', `${familiarName(ref.name)}:${t}`, { name: `${familiarName(ref.name)}:${t}` });
    progress.status(`${t}: digest: ${digest} size: ${manifest.length}`);
    progress.aux({ Tag: t, Digest: digest, Size: manifest.length });
  }
}

async function pushLayer(deps: DistributionDeps, session: RegistrySession, ref: Reference, repo: string, diffId: string, chainId: string, progress: Progress): Promise<Descriptor> {
  const id = shortDigest(diffId);
  const known = await deps.metadata.get(diffId);
  for (const m of known.filter((k) => k.SourceRepository === ref.name)) {
    const size = await blobSize(session, repo, m.Digest);
    if (size !== undefined) {
      progress.status('Layer already exists', id);
      return { mediaType: MT.dockerLayer, digest: m.Digest, size };
    }
  }
  for (const m of known.filter((k) => k.SourceRepository !== ref.name && domainOf(k.SourceRepository) === session.endpoint.domain)) {
    const from = repoPath(m.SourceRepository);
    const res = await session.request(`/v2/${repo}/blobs/uploads/?mount=${encodeURIComponent(m.Digest)}&from=${encodeURIComponent(from)}`, { method: 'POST', headers: { 'content-length': 0 } });
    res.resume();
    if (res.statusCode === 201) {
      const size = await blobSize(session, repo, m.Digest);
      if (size !== undefined) {
        await deps.metadata.add(diffId, { Digest: m.Digest, SourceRepository: ref.name });
        progress.status(`Mounted from ${from}`, id);
        return { mediaType: MT.dockerLayer, digest: m.Digest, size };
      }
    } else if (res.statusCode === 202 && res.headers.location) {
      // The registry opened an upload instead: abandon it, the upload below opens its own.
      (await session.request(new URL(res.headers.location, session.baseUrl + '/').href, { method: 'DELETE' }).catch(() => undefined))?.resume();
    }
  }

  for (const m of known) {
    const size = await deps.kept.size(m.Digest);
    if (size !== undefined) return pushKept(deps, session, ref, repo, diffId, { digest: m.Digest, size }, progress);
  }

  const total = await deps.layers.layerTarSize(chainId);
  const tar = deps.layers.layerTar(chainId);
  let read = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback) {
      read += chunk.length;
      progress.bytes(id, 'Pushing', read, total);
      cb(null, chunk);
    },
  });
  const diffCheck = new DigestStream(diffId);
  const gzip = new ParallelGzip();
  const digest = new DigestStream();
  const stages: [Readable, Writable][] = [[tar, diffCheck], [diffCheck, counter], [counter, gzip], [gzip, digest]];
  for (const [from, to] of stages) {
    from.on('error', (err) => to.destroy(err));
    from.pipe(to);
  }
  const location = await startUpload(session, repo, ref);
  const res = await session.request(location, { method: 'PATCH', headers: { 'content-type': 'application/octet-stream' }, body: digest, idleTimeout: 120_000 });
  const afterPatch = await expectStatus(res, [202, 204, 201], `PATCH upload of layer ${id}`, ref);
  const blobDigest = digest.digest;
  const put = new URL(afterPatch.headers.location ?? location, session.baseUrl + '/');
  put.searchParams.set('digest', blobDigest);
  const done = await session.request(put.href, { method: 'PUT', headers: { 'content-length': 0 } });
  await expectStatus(done, [201, 204], `PUT upload of layer ${id}`, ref);
  await deps.metadata.add(diffId, { Digest: blobDigest, SourceRepository: ref.name });
  progress.status('Pushed', id);
  return { mediaType: MT.dockerLayer, digest: blobDigest, size: digest.size };
}

/** Sends the blob kept from a pull byte for byte: same digest, so the manifest comes out the same. */
async function pushKept(deps: DistributionDeps, session: RegistrySession, ref: Reference, repo: string, diffId: string, blob: { digest: string; size: number }, progress: Progress): Promise<Descriptor> {
  const id = shortDigest(diffId);
  const desc = { mediaType: MT.dockerLayer, digest: blob.digest, size: blob.size };
  if ((await blobSize(session, repo, blob.digest)) === blob.size) {
    await deps.metadata.add(diffId, { Digest: blob.digest, SourceRepository: ref.name });
    progress.status('Layer already exists', id);
    return desc;
  }
  let read = 0;
  const file = createReadStream(deps.kept.path(blob.digest), { highWaterMark: 1 << 20 });
  const counter = new Transform({
    transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback) {
      progress.bytes(id, 'Pushing', (read += chunk.length), blob.size);
      cb(null, chunk);
    },
  });
  file.on('error', (err) => counter.destroy(err));
  file.pipe(counter);
  const put = new URL(await startUpload(session, repo, ref));
  put.searchParams.set('digest', blob.digest);
  const res = await session.request(put.href, { method: 'PUT', headers: { 'content-type': 'application/octet-stream', 'content-length': blob.size }, body: counter, idleTimeout: 120_000 });
  await expectStatus(res, [201, 204], `PUT upload of layer ${id}`, ref);
  await deps.metadata.add(diffId, { Digest: blob.digest, SourceRepository: ref.name });
  progress.status('Pushed', id);
  return desc;
}

async function startUpload(session: RegistrySession, repo: string, ref: Reference): Promise<string> {
  const res = await session.request(`/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: { 'content-length': 0 } });
  await expectStatus(res, [202], 'POST upload', ref);
  const loc = res.headers.location;
  if (!loc) throw new TransportError(`registry ${session.endpoint.domain} started an upload without a Location`);
  return new URL(loc, session.baseUrl + '/').href;
}

async function uploadBuffer(session: RegistrySession, repo: string, digest: string, data: Buffer): Promise<void> {
  const ref = { name: `${session.endpoint.domain}/${repo}` };
  const put = new URL(await startUpload(session, repo, ref));
  put.searchParams.set('digest', digest);
  const res = await session.request(put.href, { method: 'PUT', headers: { 'content-type': 'application/octet-stream', 'content-length': data.length }, body: data });
  await expectStatus(res, [201, 204], `PUT blob ${shortDigest(digest)}`, ref);
}

async function blobSize(session: RegistrySession, repo: string, digest: string): Promise<number | undefined> {
  const res = await session.request(`/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
  res.resume();
  if (res.statusCode !== 200) return undefined;
  const n = Number(res.headers['content-length']);
  return Number.isFinite(n) ? n : undefined;
}

async function blobExists(session: RegistrySession, repo: string, digest: string): Promise<boolean> {
  return (await blobSize(session, repo, digest)) !== undefined;
}

async function expectStatus(res: IncomingMessage, ok: number[], what: string, ref: Reference): Promise<IncomingMessage> {
  if (ok.includes(res.statusCode ?? 0)) {
    res.resume();
    return res;
  }
  const e = await errorText(res);
  if (res.statusCode === 401 || res.statusCode === 403) throw new Forbidden(`denied: requested access to the resource is denied (${familiarName(ref.name)}: ${e.text})`);
  throw new TransportError(`${what}: ${e.text}`);
}
