// Manifest media types and what a manifest refers to: Docker schema2 manifests and manifest
// lists, OCI image manifests and indexes. The server validates pushes with it and garbage
// collection follows the same references.
import { RegistryError } from './errcode.js';

export const MEDIA_TYPES = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
} as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: unknown;
}

export interface ParsedManifest {
  mediaType: string;
  isIndex: boolean;
  /** Blobs the manifest needs: config and layers (foreign layers with urls excluded). */
  blobs: string[];
  /** Child manifests of an index or manifest list. */
  manifests: string[];
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/**
 * Parses a manifest. `contentType` is the Content-Type of a push (when known); a stored
 * manifest is classified by its own mediaType field, or by its shape when that is absent.
 */
export function parseManifest(data: Buffer, contentType?: string): ParsedManifest {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new RegistryError('MANIFEST_INVALID', `invalid JSON: ${(err as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new RegistryError('MANIFEST_INVALID', 'manifest is not a JSON object');
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  const ct = contentType?.split(';')[0].trim();
  const known = Object.values(MEDIA_TYPES) as string[];
  let mediaType = declared ?? (ct && known.includes(ct) ? ct : undefined);
  if (!mediaType) mediaType = Array.isArray(doc.manifests) ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.ociManifest;
  if (declared && ct && known.includes(ct) && ct !== declared) {
    throw new RegistryError('MANIFEST_INVALID', `mediaType in manifest should be '${ct}' not '${declared}'`);
  }
  if (!known.includes(mediaType)) {
    throw new RegistryError('MANIFEST_INVALID', `unsupported manifest media type: ${mediaType}`);
  }
  if (doc.schemaVersion !== 2) throw new RegistryError('MANIFEST_INVALID', 'schemaVersion must be 2');

  const isIndex = mediaType === MEDIA_TYPES.ociIndex || mediaType === MEDIA_TYPES.dockerList;
  const out: ParsedManifest = { mediaType, isIndex, blobs: [], manifests: [] };
  if (isIndex) {
    if (!Array.isArray(doc.manifests)) throw new RegistryError('MANIFEST_INVALID', 'manifests must be an array');
    for (const m of doc.manifests) out.manifests.push(descriptor(m, 'manifests').digest);
  } else {
    const config = descriptor(doc.config, 'config');
    out.blobs.push(config.digest);
    if (!Array.isArray(doc.layers)) throw new RegistryError('MANIFEST_INVALID', 'layers must be an array');
    for (const l of doc.layers) {
      const d = descriptor(l, 'layers');
      if (!d.urls?.length) out.blobs.push(d.digest);
    }
  }
  if (doc.subject !== undefined) out.subject = descriptor(doc.subject, 'subject');
  if (typeof doc.artifactType === 'string') out.artifactType = doc.artifactType;
  else if (!isIndex) out.artifactType = (doc.config as Descriptor).mediaType;
  if (doc.annotations && typeof doc.annotations === 'object') out.annotations = doc.annotations as Record<string, string>;
  return out;
}

function descriptor(v: unknown, field: string): Descriptor {
  const d = v as Descriptor;
  if (!d || typeof d !== 'object' || typeof d.digest !== 'string' || typeof d.size !== 'number' || typeof d.mediaType !== 'string') {
    throw new RegistryError('MANIFEST_INVALID', `invalid descriptor in ${field}`);
  }
  if (!/^[a-z0-9]+:[a-f0-9]+$/.test(d.digest)) throw new RegistryError('DIGEST_INVALID', { digest: d.digest });
  return d;
}
