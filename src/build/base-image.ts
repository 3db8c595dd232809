// Images a build starts from (FROM) or copies from (COPY --from=<image>): the local image unless
// `pull` asks for a fresh one, otherwise pulled through the engine's distribution client with the
// credentials the client sent for that registry (X-Registry-Config), as dockerd's builder does.
import { NotFound } from '../lib/errors.js';
import type { Image } from '../images/store.js';
import { domainOf, looksLikeId, parseReference } from '../images/reference.js';
import { normalize, type AuthConfig } from '../distribution/client/credentials.js';
import type { ProgressSink } from '../distribution/client/progress.js';
import type { JsonMessage } from './output.js';

/** What the builder needs of the distribution service. */
export interface ImagePuller {
  pull(fromImage: string, tag: string | null, platform: string | null, auth: AuthConfig, sink: ProgressSink): Promise<void>;
}

export interface BaseImageDeps {
  tryResolve(ref: string): Image | undefined;
  puller?: ImagePuller;
}

/**
 * The image `name` names. With `forcePull` a registry is asked even when the image is local (and
 * a failed pull fails the build); otherwise only a missing image is pulled. Image ids are never
 * pulled. Progress goes to `progress` without the pull's aux message (the build's aux is its id).
 */
export async function resolveBaseImage(
  deps: BaseImageDeps,
  name: string,
  o: { forcePull: boolean; registryAuth?: Record<string, unknown> },
  progress: (m: JsonMessage) => void,
): Promise<Image | undefined> {
  const local = deps.tryResolve(name);
  if (local && (!o.forcePull || isIdLike(name))) return local;
  if (isIdLike(name)) return undefined;
  if (!deps.puller) return local;
  await deps.puller.pull(name, null, null, authFor(name, o.registryAuth), (m) => {
    if (m.aux !== undefined) return;
    const { status, id, progressDetail, progress: bar } = m;
    if (status === undefined) return;
    progress({ status, ...(id !== undefined ? { id } : {}), ...(progressDetail ? { progressDetail } : {}), ...(bar ? { progress: bar } : {}) });
  });
  const img = deps.tryResolve(name);
  if (!img) throw new NotFound(`No such image: ${name}`);
  return img;
}

function isIdLike(name: string): boolean {
  return name.startsWith('sha256:') || (looksLikeId(name) && name.length === 64);
}

/** The credentials X-Registry-Config holds for the registry of `name` (anonymous if none). */
export function authFor(name: string, configs: Record<string, unknown> | undefined): AuthConfig {
  if (!configs) return {};
  let domain: string;
  try {
    domain = domainOf(parseReference(name).name);
  } catch {
    return {};
  }
  const want = canonicalHost(domain);
  for (const [key, value] of Object.entries(configs)) {
    if (canonicalHost(key) === want) return normalize(value);
  }
  return {};
}

/** `https://index.docker.io/v1/`, `docker.io`, `http://127.0.0.1:5000/` → comparable host names. */
function canonicalHost(address: string): string {
  const host = address.replace(/^[a-z]+:\/\//i, '').split('/')[0]!.toLowerCase();
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}
