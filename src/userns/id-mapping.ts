// A remapped root's identity mapping: container uid/gid ranges laid over the host's subordinate
// ranges (Docker's order: the owner's ranges by start, container ids from 0 upwards), the host
// ids of the container's root, and the translation of ids between the container and the host.
import { InvalidParameter } from '../lib/errors.js';
import type { SubIdRange } from './subid.js';

/** The OCI runtime-spec shape of one mapping line. */
export interface IdMap {
  containerID: number;
  hostID: number;
  size: number;
}

export class IdMapping {
  constructor(
    readonly uidMaps: IdMap[],
    readonly gidMaps: IdMap[],
  ) {
    if (!uidMaps.length || !gidMaps.length) throw new InvalidParameter('an identity mapping needs at least one uid and one gid range');
  }

  static fromRanges(uids: SubIdRange[], gids: SubIdRange[]): IdMapping {
    return new IdMapping(toMaps(uids), toMaps(gids));
  }

  /** Host uid and gid of the container's root: the remapped root owns its store and files. */
  get root(): { uid: number; gid: number } {
    return { uid: this.toHostUid(0), gid: this.toHostGid(0) };
  }

  toHostUid(id: number): number {
    return toHost(this.uidMaps, id, 'uid');
  }

  toHostGid(id: number): number {
    return toHost(this.gidMaps, id, 'gid');
  }

  /** Both ids of a file's owner at once, as the tar apply path needs them. */
  toHost(uid: number, gid: number): [number, number] {
    return [this.toHostUid(uid), this.toHostGid(gid)];
  }

  /**
   * Host ids as the container sees them (cp out, export, commit, build). A host id outside the
   * ranges shows as the kernel's overflow id (65534, "nobody"), as it does inside the container.
   */
  toContainer(uid: number, gid: number): [number, number] {
    return [toContainer(this.uidMaps, uid), toContainer(this.gidMaps, gid)];
  }
}

const OVERFLOW_ID = 65534;

function toContainer(maps: IdMap[], id: number): number {
  for (const m of maps) {
    if (id >= m.hostID && id < m.hostID + m.size) return m.containerID + (id - m.hostID);
  }
  return OVERFLOW_ID;
}

function toMaps(ranges: SubIdRange[]): IdMap[] {
  let containerID = 0;
  return ranges.map((r) => {
    const m = { containerID, hostID: r.start, size: r.length };
    containerID += r.length;
    return m;
  });
}

function toHost(maps: IdMap[], id: number, kind: string): number {
  for (const m of maps) {
    if (id >= m.containerID && id < m.containerID + m.size) return m.hostID + (id - m.containerID);
  }
  throw new InvalidParameter(`container ${kind} ${id} cannot be mapped to a host ${kind}: it lies outside the remapped ranges`);
}
