// What a build's stages share: the services they call, the request's options, the context and
// cache, and how a stage finds the image another stage (or a local image) produced.
import type { ContainerService } from '../containers/service.js';
import type { LayerStore } from '../layers/store.js';
import type { ImageService } from '../images/service.js';
import type { Image } from '../images/store.js';
import type { BuildCache } from './cache.js';
import type { BuildContext } from './context/build-context.js';
import type { CacheFromSources } from './cache-from.js';
import type { StageOutput } from './output.js';

export interface BuildOptions {
  /** Path of the Dockerfile inside the context ('' → Dockerfile). */
  dockerfile: string;
  tags: string[];
  buildArgs: Record<string, string | null>;
  target: string;
  labels: Record<string, string>;
  noCache: boolean;
  pull: boolean;
  rm: boolean;
  forceRm: boolean;
  quiet: boolean;
  cacheFrom: string[];
  networkMode: string;
  shmSize?: number;
  /** HostConfig resource fields for RUN containers (Memory, MemorySwap, CpuShares, …). */
  resources: Record<string, unknown>;
  /** X-Registry-Config: credentials per registry for the pulls of FROM and COPY --from images. */
  registryAuth?: Record<string, unknown>;
}

export interface BuildEnv {
  opts: BuildOptions;
  containers: ContainerService;
  layers: LayerStore;
  images: ImageService;
  cache: BuildCache;
  /** `--cache-from` images (inactive when none was given or found). */
  cacheFrom: CacheFromSources;
  context: BuildContext;
  /** Scratch space for downloads and heredoc files. */
  tmpRoot: string;
  /** `COPY --from=<ref>` seen from stage `index`: an earlier stage's image or a local image. */
  fromImage(index: number, ref: string): Promise<Image>;
  /**
   * A FROM image by name: the local one unless `pull` was asked for, else pulled (progress goes to
   * `out`); undefined only when it is not local and no registry client exists.
   */
  baseImage(name: string, out: StageOutput): Promise<Image | undefined>;
}
