// `--storage-opt` of a container and daemon `storage-opts`: the parsing and the wording Docker's
// drivers use for them. The only per-container option any driver here takes is `size`; the
// daemon also takes btrfs's direct mode (`btrfs.device`, `btrfs.mkfs`).
import { InvalidParameter } from '../../lib/errors.js';

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** Docker's units.RAMInBytes: binary multiples, "10M", "10m", "10MiB", "1.5g". */
export function parseSize(value: string): number {
  const m = /^(\d+(?:\.\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(value.trim());
  if (!m) throw new InvalidParameter(`invalid size: '${value}'`);
  return Math.floor(Number(m[1]) * UNITS[(m[2] ?? '').toLowerCase()]!);
}

export interface QuotaRequest {
  /** Bytes, or undefined when no size was asked for. */
  size?: number;
}

/** A container's `--storage-opt` map, keys as Docker reads them (case-insensitive). */
export function parseContainerStorageOpt(opts: Record<string, string>): QuotaRequest {
  const out: QuotaRequest = {};
  for (const [k, v] of Object.entries(opts)) {
    if (k.toLowerCase() === 'size') out.size = parseSize(v);
    else throw new InvalidParameter(`Unknown option ${k}`);
  }
  return out;
}

export interface DaemonStorageOpts extends QuotaRequest {
  /** btrfs direct mode: the block device mounted at the driver's home. */
  device?: string;
  /** btrfs direct mode: format the device when it holds no filesystem at all. */
  mkfs?: boolean;
}

/**
 * Daemon `storage-opts` ("overlay2.size=10G") for driver `name`: options for another driver, or
 * unknown ones, stop the daemon as dockerd's do.
 */
export function parseDaemonStorageOpts(name: string, opts: string[]): DaemonStorageOpts {
  const out: DaemonStorageOpts = {};
  for (const o of opts) {
    const eq = o.indexOf('=');
    if (eq < 0) throw new InvalidParameter(`Unable to parse key/value option: ${o}`);
    const key = o.slice(0, eq).trim().toLowerCase();
    const value = o.slice(eq + 1).trim();
    if (key === `${name}.size`) out.size = parseSize(value);
    else if (name === 'btrfs' && key === 'btrfs.device') {
      if (!value.startsWith('/')) throw new InvalidParameter(`btrfs.device: ${JSON.stringify(value)} is not an absolute path to a block device`);
      out.device = value;
    } else if (name === 'btrfs' && key === 'btrfs.mkfs') {
      if (!['true', 'false'].includes(value.toLowerCase())) throw new InvalidParameter(`btrfs.mkfs: ${JSON.stringify(value)} is not true or false`);
      out.mkfs = value.toLowerCase() === 'true';
    } else throw new InvalidParameter(`${name}: unknown option ${key}`);
  }
  return out;
}
