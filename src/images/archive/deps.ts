// What `docker save` and `docker load` need from the rest of the engine: the image and layer
// stores, the data root (for spooling) and the events bus.
import type { EventBus } from '../../daemon/events.js';
import type { LayerStore } from '../../layers/store.js';
import type { ImageStore } from '../store.js';

export interface ArchiveDeps {
  images: ImageStore;
  layers: LayerStore;
  dataRoot: string;
  events?: EventBus;
}

export const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

export const ANNOTATION_IMAGE_NAME = 'io.containerd.image.name';
export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string; variant?: string };
}

/** One element of the legacy manifest.json that `docker save` has always written. */
export interface ManifestItem {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
  LayerSources?: Record<string, Descriptor>;
  Parent?: string;
}
