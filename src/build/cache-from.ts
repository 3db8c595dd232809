// `--cache-from` (cachefrom) as Docker's legacy builder applies it: the listed images are cache
// sources matched by history, not by Berth's content-keyed records. A step is a hit when a source's
// history and layers start with the current image's and its next history entry was made by the same
// instruction; the hit is rebuilt locally from the source's layer (or is the source when it was the
// source's last step). See docs/build-cache.md.
import { isDeepStrictEqual } from 'node:util';
import type { Image, ImageConfig, HistoryEntry } from '../images/store.js';

export interface CacheFromStore {
  tryResolve(ref: string): Image | undefined;
  byId(id: string): Image | undefined;
}

/** What a source offers for one step. */
export interface CacheFromHit {
  source: Image;
  /** The source's history entry for the step. */
  entry: HistoryEntry;
  /** The layer the step added, if it added one. */
  diffId?: string;
  /** The step is the source's last: the source itself is the result. */
  last: boolean;
}

export class CacheFromSources {
  private sources: Image[];

  /** Resolves the refs; one that names no local image is skipped with a warning, as dockerd does. */
  constructor(private readonly store: CacheFromStore, refs: readonly string[], warn: (text: string) => void) {
    this.sources = [];
    for (const ref of refs) {
      const img = store.tryResolve(ref);
      if (img) this.sources.push(img);
      else warn(`Could not look up ${ref} for cache resolution, skipping: No such image: ${ref}`);
    }
  }

  get active(): boolean {
    return this.sources.length > 0;
  }

  /**
   * With sources, a hit in the local cache counts only when it is an ancestor of a source (dockerd
   * ignores local results that no source descends from).
   */
  acceptsLocal(imageId: string): boolean {
    return this.sources.some((s) => this.isAncestor(imageId, s));
  }

  /** The source that continues `parent` (undefined: scratch) with a step recorded as `createdBy`. */
  match(parent: ImageConfig | undefined, createdBy: string): CacheFromHit | undefined {
    const at = parent?.history?.length ?? 0;
    for (const source of this.sources) {
      const history = source.config.history ?? [];
      if (!continues(source.config, parent) || history[at]?.created_by !== createdBy) continue;
      const last = at === history.length - 1;
      // Once a source matched part-way, later steps follow that source only (dockerd does the
      // same, so a build never stitches layers of two sources together).
      if (!last) this.sources = [source];
      const diffId = layerOfEntry(source.config, at);
      return { source, entry: history[at]!, ...(diffId ? { diffId } : {}), last };
    }
    return undefined;
  }

  private isAncestor(id: string, of: Image): boolean {
    const seen = new Set<string>();
    for (let cur = of.parent; cur && !seen.has(cur); cur = this.store.byId(cur)?.parent) {
      if (cur === id) return true;
      seen.add(cur);
    }
    return false;
  }
}

/** Whether `img`'s history and layers start with all of `parent`'s, with at least one entry more. */
function continues(img: ImageConfig, parent: ImageConfig | undefined): boolean {
  const history = img.history ?? [];
  if (history.length === 0) return false;
  const ph = parent?.history ?? [];
  const pd = parent?.rootfs.diff_ids ?? [];
  if (ph.length === 0 && pd.length === 0) return true;
  if (ph.length >= history.length || pd.length > img.rootfs.diff_ids.length) return false;
  return ph.every((h, i) => isDeepStrictEqual(h, history[i])) && pd.every((d, i) => d === img.rootfs.diff_ids[i]);
}

/** The diff id of the layer history entry `index` added, or undefined for an empty-layer entry. */
function layerOfEntry(img: ImageConfig, index: number): string | undefined {
  const history = img.history ?? [];
  if (history[index]?.empty_layer) return undefined;
  let layer = 0;
  for (let i = 0; i < index; i++) if (!history[i]!.empty_layer) layer++;
  return img.rootfs.diff_ids[layer];
}
