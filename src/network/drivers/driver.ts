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
