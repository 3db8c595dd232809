// The engine's distribution service: pull, push, login and manifest inspection against
// registries, over the layer and image stores. Routes call it; it owns no HTTP of the Engine API.
import { trimMemoryWhenQuiet } from '../../lib/trim-memory.js';
import { InvalidParameter } from '../../lib/errors.js';
import type { LayerStore } from '../../layers/store.js';
import type { ImageService } from '../../images/service.js';
import type { EventBus } from '../../daemon/events.js';
import { parseReference, withDefaultTag, domainOf } from '../../images/reference.js';
import { loginEndpoint, pullEndpoints, repoPath, type RegistryOptions } from './endpoints.js';
import { RegistrySession } from './session.js';
import type { AuthConfig } from './credentials.js';
import { parsePlatform, type Platform } from './manifests.js';
import { DistributionMetadata } from './metadata.js';
import { KeptBlobs, keptBlobBytes } from './kept-blobs.js';
import { Progress, type ProgressSink } from './progress.js';
import { pull, pullReference, resolveManifest, fetchConfig, withEndpoint, type DistributionDeps } from './pull.js';
import { push } from './push.js';

export interface DistributionServiceOptions {
  dataRoot: string;
  layers: LayerStore;
  images: ImageService;
  events: EventBus;
  registryOptions: () => RegistryOptions;
}

export class DistributionService {
  private readonly deps: DistributionDeps;

  constructor(o: DistributionServiceOptions) {
    this.deps = {
      layers: o.layers,
      images: o.images,
      events: o.events,
      metadata: new DistributionMetadata(o.dataRoot, o.layers.driver.name),
      options: o.registryOptions,
      kept: new KeptBlobs(o.dataRoot, o.layers.driver.name),
      dataRoot: o.dataRoot,
    };
  }

  async init(): Promise<void> {
    await this.deps.metadata.init();
    await this.deps.kept.init();
    this.deps.layers.onLayersRemoved(() => this.sweepKeptBlobs());
    // A daemon that died between removing a layer and its kept blob left the blob behind.
    await this.sweepKeptBlobs();
  }

  /** Bytes of compressed blobs kept from pulls (counted by `system df`). */
  keptBlobBytes(): Promise<number> {
    return keptBlobBytes(this.deps.dataRoot, this.deps.layers.driver.name);
  }

  /** Drops kept blobs whose layer no longer exists. */
  private async sweepKeptBlobs(): Promise<void> {
    const live = new Set(this.deps.layers.all().map((l) => l.diffId));
    await this.deps.kept.sweep((digest) => this.deps.metadata.diffIdOf(digest), live);
  }

  /** POST /images/create?fromImage=&tag=&platform= */
  async pull(fromImage: string, tag: string | null, platform: string | null, auth: AuthConfig, sink: ProgressSink): Promise<void> {
    const ref = pullReference(fromImage, tag);
    try {
      await pull(this.deps, ref, auth, parsePlatform(platform), new Progress(sink));
    } finally {
      trimMemoryWhenQuiet();
    }
  }

  /** POST /images/{name}/push?tag= */
  async push(name: string, tag: string | null, auth: AuthConfig, sink: ProgressSink): Promise<void> {
    try {
      await push(this.deps, name, tag || undefined, auth, new Progress(sink));
    } finally {
      trimMemoryWhenQuiet();
    }
  }

  /** POST /auth: checks the credentials against the registry's /v2/. */
  async login(auth: AuthConfig): Promise<{ Status: string; IdentityToken: string }> {
    if (!auth.serveraddress) throw new InvalidParameter('serveraddress is required');
    const session = new RegistrySession(loginEndpoint(auth.serveraddress, this.deps.options()), auth, []);
    await session.login();
    return { Status: 'Login Succeeded', IdentityToken: '' };
  }

  /** GET /distribution/{name}/json: the descriptor a reference resolves to and its platforms. */
  async inspect(name: string, auth: AuthConfig): Promise<{ Descriptor: { mediaType: string; digest: string; size: number }; Platforms: Platform[] }> {
    const ref = withDefaultTag(parseReference(name));
    const repo = repoPath(ref.name);
    return withEndpoint(pullEndpoints(domainOf(ref.name), this.deps.options()), async (e) => {
      const session = new RegistrySession(e, auth, [`repository:${repo}:pull`]);
      const r = await resolveManifest(session, ref, parsePlatform(undefined));
      let platforms = r.platforms;
      if (!platforms) {
        const cfg = JSON.parse((await fetchConfig(session, repo, r.manifest.config)).toString()) as Platform;
        platforms = [{ architecture: cfg.architecture, os: cfg.os, ...(cfg.variant ? { variant: cfg.variant } : {}) }];
      }
      return { Descriptor: { mediaType: r.mediaType, digest: r.digest, size: r.size }, Platforms: platforms };
    });
  }
}
