// The interface every network driver implements: make and remove the network's host side, and
// join or leave a sandbox (create or delete an endpoint's links inside a container's namespace).
import type { Endpoint, NetworkRecord } from '../model.js';

export interface JoinOptions {
  /** The sandbox's network namespace (a path). */
  netns: string;
  /** This network gives the container its default route. */
  defaultRoute: boolean;
}

export interface NetworkDriver {
  readonly name: string;
  /** Whether containers on this network get a sandbox with an endpoint (bridge) or none (host, none). */
  readonly endpoints: boolean;
  createNetwork(n: NetworkRecord): Promise<void>;
  deleteNetwork(n: NetworkRecord): Promise<void>;
  join(n: NetworkRecord, ep: Endpoint, o: JoinOptions): Promise<void>;
  /** `netns` is the sandbox while it still exists (links living only inside it are removed there). */
  leave(n: NetworkRecord, ep: Endpoint, netns?: string): Promise<void>;
}

/** The drivers Berth has, sorted as dockerd lists them in `info`'s Plugins.Network. */
export const NETWORK_DRIVERS = ['bridge', 'host', 'macvlan', 'null'] as const;

/**
 * `ip` commands run inside the sandbox once an endpoint's link (ifname) is there: its addresses,
 * up, and the default routes when this network gives them. IPv6 addresses skip duplicate address
 * detection (the IPAM made them unique), so they are usable at once rather than after ~1 s.
 */
export function endpointAddressLines(ep: Endpoint, defaultRoute: boolean): string[] {
  const lines = [`link set lo up`, `addr add ${ep.ip}/${ep.prefix} dev ${ep.ifname}`];
  if (ep.ip6) lines.push(`addr add ${ep.ip6}/${ep.prefix6} dev ${ep.ifname} nodad`);
  lines.push(`link set ${ep.ifname} up`);
  if (defaultRoute && ep.gateway) lines.push(`route add default via ${ep.gateway} dev ${ep.ifname}`);
  if (defaultRoute && ep.ip6 && ep.gateway6) lines.push(`route add ::/0 via ${ep.gateway6} dev ${ep.ifname}`);
  return lines;
}
