// Image manifests as a client reads and writes them: Docker schema2 and OCI manifests and their
// indexes (manifest lists), the Accept header that asks for all of them, and the choice of one
// platform's manifest from an index as Docker makes it (os, architecture, then variant).
import { InvalidParameter, NotFound } from '../../lib/errors.js';

export const MT = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  schema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

export const ACCEPT = [MT.dockerManifest, MT.dockerList, MT.ociManifest, MT.ociIndex].join(', ');

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  platform?: Platform & { 'os.version'?: string; 'os.features'?: string[] };
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  kind: 'manifest';
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface ImageIndex {
  kind: 'index';
  mediaType: string;
  manifests: Descriptor[];
}

const LAYER_TYPES = new Set<string>([MT.dockerLayer, MT.ociLayer, MT.ociLayerGzip, MT.ociLayerZstd, 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', MT.dockerForeignLayer]);

/** Parses manifest bytes; the media type comes from the body, else from Content-Type. */
export function parseManifest(raw: Buffer, contentType?: string): ImageManifest | ImageIndex {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new InvalidParameter('invalid manifest: not JSON');
  }
  const ct = (contentType ?? '').split(';')[0]!.trim();
  let mediaType = typeof doc.mediaType === 'string' ? doc.mediaType : ct;
  if (doc.schemaVersion === 1 || mediaType === MT.schema1Signed || mediaType === 'application/vnd.docker.distribution.manifest.v1+json') {
    throw new InvalidParameter('image manifest schema 1 is not supported: push the image again with a current client');
  }
  if (Array.isArray(doc.manifests)) {
    if (!mediaType || mediaType === 'application/json') mediaType = MT.ociIndex;
    return { kind: 'index', mediaType, manifests: (doc.manifests as Descriptor[]).map(checkDescriptor) };
  }
  if (doc.config && Array.isArray(doc.layers)) {
    if (!mediaType || mediaType === 'application/json') mediaType = MT.ociManifest;
    const config = checkDescriptor(doc.config as Descriptor);
    const layers = (doc.layers as Descriptor[]).map(checkDescriptor);
    for (const l of layers) {
      if (!LAYER_TYPES.has(l.mediaType)) throw new InvalidParameter(`unsupported layer media type ${l.mediaType}`);
    }
    return { kind: 'manifest', mediaType, config, layers };
  }
  throw new InvalidParameter(`unsupported manifest media type ${mediaType || 'unknown'}`);
}

function checkDescriptor(d: Descriptor): Descriptor {
  if (!d || typeof d.digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(d.digest)) {
    throw new InvalidParameter(`invalid manifest: bad descriptor digest ${JSON.stringify(d?.digest)}`);
  }
  if (typeof d.size !== 'number' || d.size < 0) throw new InvalidParameter(`invalid manifest: bad size for ${d.digest}`);
  return d;
}

/** `linux`, `linux/amd64`, `linux/arm64/v8` → Platform; empty means this host's. */
export function parsePlatform(text: string | undefined | null): Platform {
  if (!text) return { os: 'linux', architecture: 'amd64' };
  const [os, arch, variant] = text.toLowerCase().split('/');
  if (!os) throw new InvalidParameter(`invalid platform: ${text}`);
  const architecture = normalizeArch(arch || 'amd64');
  return { os, architecture, ...(variant ? { variant } : {}) };
}

function normalizeArch(a: string): string {
  if (a === 'x86_64' || a === 'x86-64') return 'amd64';
  if (a === 'aarch64') return 'arm64';
  return a;
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/**
 * The index entry for `want`: same os and architecture; with a wanted variant it must match,
 * without one an entry without variant is preferred. Attestation manifests (unknown/unknown) never match.
 */
export function selectPlatform(index: ImageIndex, want: Platform): Descriptor {
  const candidates = index.manifests.filter((d) => d.platform && d.platform.os === want.os && normalizeArch(d.platform.architecture) === want.architecture);
  let chosen: Descriptor | undefined;
  if (want.variant) chosen = candidates.find((d) => d.platform!.variant === want.variant);
  else chosen = candidates.find((d) => !d.platform!.variant) ?? candidates.find((d) => d.platform!.variant === 'v8') ?? candidates[0];
  if (!chosen) {
    throw new NotFound(`no matching manifest for ${formatPlatform(want)} in the manifest list entries`);
  }
  return chosen;
}

/** The schema2 manifest Berth pushes. */
export function buildSchema2(config: Descriptor, layers: Descriptor[]): Buffer {
  const doc = {
    schemaVersion: 2,
    mediaType: MT.dockerManifest,
    config: { mediaType: MT.dockerConfig, size: config.size, digest: config.digest },
    layers: layers.map((l) => ({ mediaType: MT.dockerLayer, size: l.size, digest: l.digest })),
  };
  // Docker indents pushed manifests with three spaces; registries hash the bytes as sent.
  return Buffer.from(JSON.stringify(doc, null, 3));
}
