// The start-up sweep of read-only layers nothing uses. A daemon killed after a pull, load or
// commit registered a layer but before it wrote the image leaves a whole layer that no image
// names; nothing else would ever remove it. Runs before the API listens, so no pull is under way.
import { chainIdsOf, type LayerStore } from './store.js';

interface ImageLayers {
  config: { rootfs?: { diff_ids?: string[] } };
}

/**
 * Removes every layer that is not in the chain of an image or under a container's read-write
 * layer (build cache records name images, so their layers are kept through those), children
 * first, and returns the chainIDs removed.
 */
export async function removeUnreferencedLayers(layers: LayerStore, images: Iterable<ImageLayers>, log: { info(m: string): void; warn(m: string): void }): Promise<string[]> {
  const kept = new Set<string>();
  for (const img of images) {
    const diffIds = img.config.rootfs?.diff_ids ?? [];
    // Every prefix, not layers.chain(): an image whose top layer is missing still holds the rest.
    for (const c of chainIdsOf(diffIds)) kept.add(c);
  }
  for (const id of layers.rwContainerIds()) {
    for (let c = layers.getRW(id).parent; c && layers.has(c) && !kept.has(c); c = layers.get(c).parent) kept.add(c);
  }
  const all = layers.all();
  const parents = new Set(all.map((l) => l.parent).filter(Boolean));
  const removed: string[] = [];
  // Start at the leaves: release() walks down to each parent that nothing else holds.
  for (const leaf of all.filter((l) => !parents.has(l.chainId) && !kept.has(l.chainId))) {
    try {
      removed.push(...(await layers.release(leaf.chainId, (c) => kept.has(c))));
    } catch (err) {
      log.warn(`could not remove unreferenced layer ${leaf.chainId}: ${(err as Error).message}`);
    }
  }
  for (const c of removed) log.info(`Removed layer ${c}: no image or container uses it (left by an interrupted pull, load or commit)`);
  return removed;
}
