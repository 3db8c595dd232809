// Names a daemon gives its kernel objects, so daemons side by side never collide: the default
// data root uses table `berth` and bridge `berth0`; any other root adds a hash of its path
// (`berth_<hash12>`, `berth<hash8>`). User-defined bridges are `br-<network-id12>` everywhere.
import { createHash } from 'node:crypto';

export const DEFAULT_DATA_ROOT = '/var/lib/berth';

export interface DaemonNetNames {
  table: string;
  defaultBridge: string;
}

export function daemonNetNames(dataRoot: string): DaemonNetNames {
  if (dataRoot === DEFAULT_DATA_ROOT) return { table: 'berth', defaultBridge: 'berth0' };
  const h = createHash('sha256').update(dataRoot).digest('hex');
  return { table: `berth_${h.slice(0, 12)}`, defaultBridge: `berth${h.slice(0, 8)}` };
}

export function userBridgeName(networkId: string): string {
  return `br-${networkId.slice(0, 12)}`;
}

/** Docker's classic MAC for an address: 02:42 followed by the four bytes of the IPv4 address. */
export function macForIp(ip: string): string {
  return ['02', '42', ...ip.split('.').map((b) => Number(b).toString(16).padStart(2, '0'))].join(':');
}
