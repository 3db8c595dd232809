// The storage driver interface the layer store works through (Docker's graphdriver): each driver
// owns <data-root>/<name>/, turns a parent layer into a child, mounts a container's root, and
// says what changed in a layer. The layer store owns ids, metadata and tar-split.
import type { Readable } from 'node:stream';
import type { Change } from '../archive/diff.js';

export interface CreateOptions {
  /** `--storage-opt` of a container's RW layer (already checked by validateStorageOpt). */
  storageOpt?: Record<string, string>;
}

export interface StorageDriver {
  readonly name: string;
  /** <data-root>/<name>: everything the driver writes lives below it. */
  readonly home: string;
  /**
   * How a layer tar is written into applyDir(): 'overlay' keeps deletions as overlayfs whiteouts
   * (an upper directory), 'naive' applies them to a full copy of the parent.
   */
  readonly applyMode: 'overlay' | 'naive';

  /** Checks the backing filesystem and prepares the driver's directories; throws when unusable. */
  init(): Promise<void>;
  /** Releases what init() took from the host (btrfs direct mode unmounts its device); at daemon stop. */
  close?(): Promise<void>;
  /** Makes layer `id` on top of `parent` (a driver id, or none for a base layer). */
  create(id: string, parent?: string, opts?: CreateOptions): Promise<void>;
  /** Refuses storage options this driver (on this filesystem) cannot honour, as Docker words it. */
  validateStorageOpt(opts: Record<string, string>): void;
  /** Where a layer's diff is extracted. */
  applyDir(id: string): string;
  /** Makes the layer's full tree available and returns its path (a container's rootfs). */
  mount(id: string): Promise<string>;
  unmount(id: string): Promise<void>;
  remove(id: string): Promise<void>;
  /** Bytes this layer adds over `parent`. */
  size(id: string, parent?: string): Promise<number>;
  /** The layer's changes over `parent` as an OCI layer tar. */
  diff(id: string, parent?: string): Readable;
  /** `docker diff`: the layer's changes over `parent`. */
  changes(id: string, parent?: string): Promise<Change[]>;
  /**
   * Directories below home on the way to a container's root, which a remapped root must be able
   * to walk through (userns-remap opens them to its group).
   */
  containerRootParents(): string[];
  /** Entries of the driver's home that are layers (for the orphan sweep). */
  ids(): Promise<string[]>;
  /** `docker info` DriverStatus lines. */
  status(): [string, string][];
  /** GraphDriver.Data of inspect (null where Docker's driver reports none). */
  metadata(id: string): Promise<Record<string, string> | null>;
}
