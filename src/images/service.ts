// The images service: import, list, inspect, history, tag and removal with Docker's conflict
// rules. Layers live in the layer store; configs and references in the image store.
import type { Readable } from 'node:stream';
import { Conflict, NotFound, InvalidParameter } from '../lib/errors.js';
import { shortId } from '../lib/ids.js';
import type { EventBus } from '../daemon/events.js';
import type { LayerStore } from '../layers/store.js';
import { chainIdOf } from '../layers/store.js';
import { ImageStore, type Image, type ImageConfig, type HistoryEntry } from './store.js';
import { parseReference, withDefaultTag, familiarString, looksLikeId } from './reference.js';
import { applyChanges } from './changes.js';
import { boolFilter, checkFilterKeys, matchPruneLabels, untilFilter } from '../disk/prune-filters.js';

export interface ImportOptions {
  repo?: string;
  tag?: string;
  changes: string[];
  message?: string;
  platform?: string;
}

export interface DeleteItem {
  Untagged?: string;
  Deleted?: string;
}

/** Who uses an image: answered by the containers service, which images does not import. */
export interface ImageUsers {
  running(imageId: string): string[];
  stopped(imageId: string): string[];
}

export class ImageService {
  constructor(
    readonly store: ImageStore,
    private readonly layers: LayerStore,
    private readonly events: EventBus,
  ) {}

  /** `docker import`: one layer from a (possibly compressed) tar, with optional Dockerfile changes. */
  async importTar(input: Readable, o: ImportOptions): Promise<Image> {
    let refText: string | undefined;
    if (o.repo) {
      const ref = parseReference(o.tag ? `${o.repo}:${o.tag}` : o.repo);
      if (ref.digest) throw new InvalidParameter('cannot import digest reference');
      refText = familiarString(withDefaultTag(ref));
    }
    const layer = await this.layers.register(input);
    const now = new Date().toISOString();
    const history: HistoryEntry = { created: now, created_by: '', comment: o.message || 'Imported from -' };
    if (!o.message) delete history.created_by;
    const config: ImageConfig = {
      architecture: 'amd64',
      os: 'linux',
      created: now,
      config: applyChanges({}, o.changes),
      rootfs: { type: 'layers', diff_ids: [layer.diffId] },
      history: [history],
    };
    if (o.message) config.comment = o.message;
    const img = await this.store.create(Buffer.from(JSON.stringify(config)));
    this.events.publish('image', 'import', img.id, {});
    if (refText) await this.tag(img.id, refText);
    return img;
  }

  async tag(source: string, target: string): Promise<void> {
    const img = this.store.resolve(source);
    const ref = withDefaultTag(parseReference(target));
    if (ref.digest) throw new InvalidParameter('refusing to create a tag with a digest reference');
    await this.store.tag(img.id, target);
    this.events.publish('image', 'tag', img.id, { name: familiarString(ref) });
  }

  resolve(ref: string): Image {
    return this.store.resolve(ref);
  }

  size(img: Image): number {
    const chain = chainIdOf(img.config.rootfs.diff_ids);
    return chain ? this.layers.chain(chain).reduce((n, l) => n + l.size, 0) : 0;
  }

  history(ref: string): Record<string, unknown>[] {
    const img = this.store.resolve(ref);
    const diffIds = img.config.rootfs.diff_ids;
    const chain = this.layers.chain(chainIdOf(diffIds));
    const entries = img.config.history ?? [];
    let layerIndex = 0;
    const out = entries.map((h) => {
      let size = 0;
      if (!h.empty_layer) {
        size = chain[layerIndex]?.size ?? 0;
        layerIndex++;
      }
      return { Id: '<missing>', Created: h.created ? Math.floor(Date.parse(h.created) / 1000) : 0, CreatedBy: h.created_by ?? '', Tags: null as string[] | null, Size: size, Comment: h.comment ?? '' };
    });
    out.reverse();
    // The newest entries belong to this image and each local parent in turn.
    let cur: Image | undefined = img;
    let i = 0;
    while (cur && i < out.length) {
      out[i]!.Id = cur.id;
      const tags = this.store.repoTags(cur.id);
      out[i]!.Tags = tags.length ? tags : null;
      const parentId: string | undefined = cur.parent;
      const parent: Image | undefined = parentId ? this.store.byId(parentId) : undefined;
      const parentHistoryLen = parent?.config.history?.length ?? 0;
      i = out.length - parentHistoryLen;
      cur = parent;
    }
    return out;
  }

  /** Docker's image removal, with its soft (force) and hard (never) conflicts. */
  async remove(ref: string, o: { force: boolean; noprune: boolean }, users: ImageUsers): Promise<DeleteItem[]> {
    const img = this.store.resolve(ref);
    const out: DeleteItem[] = [];
    const byId = looksLikeId(ref) && !this.namesTag(img, ref);
    const refs = this.store.referencesOf(img.id);
    const running = users.running(img.id);

    if (!byId) {
      // Removing one name: untag it; delete the image only when that was its last reference.
      const refText = familiarString(withDefaultTag(parseReference(ref)));
      if (refs.length === 1 && running.length && !o.force) {
        throw new Conflict(`conflict: unable to remove repository reference "${ref}" (must force) - container ${shortId(running[0]!)} is using its referenced image ${shortId(img.id)}`);
      }
      await this.store.untag(ref);
      out.push({ Untagged: refText });
      this.events.publish('image', 'untag', img.id, { name: refText });
      // As Docker: the last tag of a repository takes that repository's digest references along.
      const removed = parseReference(ref);
      const left = this.store.referencesOf(img.id);
      if (!removed.digest && !left.some((r) => r.tag && r.name === removed.name)) {
        for (const r of left.filter((x) => x.digest && x.name === removed.name)) {
          const text = familiarString(r);
          await this.store.untag(text);
          out.push({ Untagged: text });
          this.events.publish('image', 'untag', img.id, { name: text });
        }
      }
      if (this.store.referencesOf(img.id).length > 0) return out;
      // As Docker: a running container or a child image keeps the untagged image; a stopped
      // container keeps it only without force.
      if (running.length || (!o.force && users.stopped(img.id).length) || this.store.children(img.id).length) return out;
      out.push(...(await this.deleteImage(img, o.noprune, users)));
      return out;
    }

    if (this.store.children(img.id).length) {
      throw new Conflict(`conflict: unable to delete ${shortId(img.id)} (cannot be forced) - image has dependent child images`);
    }
    if (running.length) {
      throw new Conflict(`conflict: unable to delete ${shortId(img.id)} (cannot be forced) - image is being used by running container ${shortId(running[0]!)}`);
    }
    if (!o.force) {
      const distinctRepos = new Set(refs.map((r) => r.name));
      if (distinctRepos.size > 1) {
        throw new Conflict(`conflict: unable to delete ${shortId(img.id)} (must be forced) - image is referenced in multiple repositories`);
      }
      const stopped = users.stopped(img.id);
      if (stopped.length) {
        throw new Conflict(`conflict: unable to delete ${shortId(img.id)} (must be forced) - image is being used by stopped container ${shortId(stopped[0]!)}`);
      }
    }
    for (const r of refs) {
      const text = familiarString(r);
      await this.store.untag(text);
      out.push({ Untagged: text });
      this.events.publish('image', 'untag', img.id, { name: text });
    }
    out.push(...(await this.deleteImage(img, o.noprune, users)));
    return out;
  }

  /** A hex string can be a name too (`docker tag x cafe`): then it means the name. */
  private namesTag(img: Image, ref: string): boolean {
    let wanted: string;
    try {
      wanted = familiarString(withDefaultTag(parseReference(ref)));
    } catch {
      return false;
    }
    return this.store.referencesOf(img.id).some((r) => familiarString(r) === wanted);
  }

  private async deleteImage(img: Image, noprune: boolean, users: ImageUsers): Promise<DeleteItem[]> {
    const out: DeleteItem[] = [];
    await this.store.delete(img.id);
    out.push({ Deleted: img.id });
    this.events.publish('image', 'delete', img.id, {});
    const chain = chainIdOf(img.config.rootfs.diff_ids);
    if (chain) {
      const removed = await this.layers.release(chain, (c) => this.layerInUse(c));
      for (const l of removed) out.push({ Deleted: l });
    }
    if (!noprune && img.parent) {
      const parent = this.store.byId(img.parent);
      if (parent && this.store.referencesOf(parent.id).length === 0 && this.store.children(parent.id).length === 0 && users.running(parent.id).length === 0 && users.stopped(parent.id).length === 0) {
        out.push(...(await this.deleteImage(parent, noprune, users)));
      }
    }
    return out;
  }

  /** A layer is in use while any image's chain passes through it. */
  layerInUse(chainId: string): boolean {
    return this.store.usesLayer(chainId);
  }

  /**
   * docker image prune: dangling images (untagged, or with only digest references), or with
   * dangling=false every image no container uses; `until` and `label`/`label!` as dockerd reads
   * them. SpaceReclaimed counts the layers that really went.
   */
  async prune(filters: Map<string, string[]>, users: ImageUsers): Promise<{ ImagesDeleted: DeleteItem[]; SpaceReclaimed: number }> {
    checkFilterKeys(filters, ['dangling', 'label', 'label!', 'until']);
    const danglingOnly = boolFilter(filters, 'dangling', true);
    const untilMs = untilFilter(filters);
    const layerSizes = new Map(this.layers.all().map((l) => [l.chainId, l.size]));
    const deleted: DeleteItem[] = [];
    let space = 0;
    for (let changed = true; changed; ) {
      changed = false;
      for (const img of this.store.all()) {
        if (!this.store.byId(img.id)) continue;
        const refs = this.store.referencesOf(img.id);
        if (danglingOnly && refs.some((r) => r.tag)) continue;
        if (users.running(img.id).length || users.stopped(img.id).length || this.store.children(img.id).length) continue;
        if (untilMs !== undefined && !((Date.parse(img.config.created ?? '') || 0) <= untilMs)) continue;
        if (!matchPruneLabels(filters, img.config.config?.Labels)) continue;
        for (const r of refs) {
          const text = familiarString(r);
          await this.store.untag(text);
          deleted.push({ Untagged: text });
          this.events.publish('image', 'untag', img.id, { name: text });
        }
        const items = await this.deleteImage(img, false, users);
        for (const d of items) if (d.Deleted && layerSizes.has(d.Deleted) && !this.layers.has(d.Deleted)) space += layerSizes.get(d.Deleted)!;
        deleted.push(...items);
        changed = true;
      }
    }
    this.events.publish('image', 'prune', '', { reclaimed: String(space) });
    return { ImagesDeleted: deleted, SpaceReclaimed: space };
  }

  dangling(img: Image): boolean {
    return this.store.referencesOf(img.id).length === 0;
  }

  get(ref: string): Image {
    const img = this.store.tryResolve(ref);
    if (!img) throw new NotFound(`No such image: ${ref}`);
    return img;
  }
}
