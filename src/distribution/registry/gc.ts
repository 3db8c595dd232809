// Offline garbage collection of the registry's storage, mark and sweep as distribution's
// `garbage-collect`: everything reachable from the repositories' manifests (through indexes to
// manifests to configs and layers) is kept. With deleteUntagged only manifests reachable from a
// tag, or referring (OCI subject) to a kept manifest, count as roots; the others are removed.
import { RegistryStorage } from './storage.js';
import { parseManifest } from './manifest.js';

export interface GcOptions {
  dryRun?: boolean;
  deleteUntagged?: boolean;
  log?: (line: string) => void;
}

export interface GcResult {
  markedBlobs: number;
  /** Blobs deleted (or, in a dry run, eligible for deletion). */
  blobs: string[];
  /** Manifests deleted from their repository (or eligible), as `repo@digest`. */
  manifests: string[];
}

export async function garbageCollect(root: string, opts: GcOptions = {}): Promise<GcResult> {
  const storage = new RegistryStorage(root);
  const log = opts.log ?? (() => undefined);
  const marked = new Set<string>();
  const doomedManifests: { repo: string; digest: string }[] = [];

  for (const repo of await storage.repositories()) {
    const revisions = await storage.manifestRevisions(repo);
    let roots: string[] = revisions;
    if (opts.deleteUntagged) {
      const reachable = new Set<string>();
      const visit = async (digest: string): Promise<void> => {
        if (reachable.has(digest)) return;
        const data = await storage.readManifest(repo, digest);
        if (!data) return;
        reachable.add(digest);
        const m = tryParse(data, repo, digest, log);
        for (const child of m?.manifests ?? []) await visit(child);
        for (const referrer of await storage.referrers(repo, digest)) await visit(referrer);
      };
      for (const tag of (await storage.tags(repo)) ?? []) {
        const d = await storage.resolveTag(repo, tag);
        if (d) await visit(d);
      }
      roots = revisions.filter((d) => reachable.has(d));
      for (const d of revisions) {
        if (!reachable.has(d)) {
          log(`manifest eligible for deletion: ${repo}@${d}`);
          doomedManifests.push({ repo, digest: d });
        }
      }
    }
    const seen = new Set<string>();
    const mark = async (digest: string): Promise<void> => {
      if (seen.has(digest)) return;
      seen.add(digest);
      const data = await storage.readManifest(repo, digest);
      if (!data) return;
      log(`${repo}: marking manifest ${digest}`);
      marked.add(digest);
      const m = tryParse(data, repo, digest, log);
      for (const blob of m?.blobs ?? []) {
        if (!marked.has(blob)) log(`${repo}: marking blob ${blob}`);
        marked.add(blob);
      }
      for (const child of m?.manifests ?? []) await mark(child);
    };
    for (const d of roots) await mark(d);
  }

  const doomedBlobs = (await storage.allBlobs()).filter((d) => !marked.has(d)).sort();
  log(`\n${marked.size} blobs marked, ${doomedBlobs.length} blobs and ${doomedManifests.length} manifests eligible for deletion`);
  for (const d of doomedBlobs) log(`blob eligible for deletion: ${d}`);

  if (!opts.dryRun) {
    for (const { repo, digest } of doomedManifests) await storage.deleteManifest(repo, digest);
    const doomed = new Set(doomedBlobs);
    for (const d of doomedBlobs) await storage.removeBlob(d);
    // layer links to removed blobs would make the repository claim a blob it cannot serve
    for (const repo of await storage.repositories()) {
      for (const d of await storage.layerLinks(repo)) if (doomed.has(d)) await storage.unlinkBlob(repo, d);
    }
  }
  return {
    markedBlobs: marked.size,
    blobs: doomedBlobs,
    manifests: doomedManifests.map(({ repo, digest }) => `${repo}@${digest}`),
  };
}

function tryParse(data: Buffer, repo: string, digest: string, log: (line: string) => void) {
  try {
    return parseManifest(data);
  } catch (err) {
    log(`${repo}: cannot parse manifest ${digest}: ${(err as Error).message}`);
    return undefined;
  }
}
