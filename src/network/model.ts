// The CNM records Berth keeps: networks, and per container its attachments (one per network it
// is connected to; an attachment of a running container has an endpoint: address, MAC, veth) and
// its published ports. Stored as JSON under <data-root>/network/.

/** Docker's driver names: the `none` network's driver is `null`. */
export type DriverName = 'bridge' | 'host' | 'null' | 'macvlan';

export interface IpamConfigEntry {
  Subnet: string;
  Gateway: string;
  IPRange?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

export interface NetworkRecord {
  Id: string;
  Name: string;
  Driver: DriverName;
  Created: string;
  Internal: boolean;
  Attachable: boolean;
  Options: Record<string, string>;
  Labels: Record<string, string>;
  /** IPAM.Config[0] is the IPv4 entry; an `--ipv6` network has its IPv6 entry after it. */
  IPAM: { Driver: string; Options: Record<string, string> | null; Config: IpamConfigEntry[] };
  /** `--ipv6`: endpoints get an address from the IPv6 entry of IPAM.Config too. */
  EnableIPv6?: boolean;
  /** The Linux bridge (bridge driver). */
  bridge?: string;
  /** bridge, host and none: made by the daemon, never removed. */
  predefined?: boolean;
  /** The user gave the subnet (static --ip is allowed only then, as in Docker). */
  userSubnet?: boolean;
  /** macvlan: the parent link (an 802.1q sub-interface or a dummy) was made for this network and goes with it. */
  createdParent?: boolean;
}

/** The live side of an attachment while the container runs. */
export interface Endpoint {
  Id: string;
  ip: string;
  prefix: number;
  gateway: string;
  mac: string;
  /** On an `--ipv6` network: the endpoint's IPv6 address, prefix length and gateway ('' without one). */
  ip6?: string;
  prefix6?: number;
  gateway6?: string;
  /** Host end of the veth pair. */
  hostVeth: string;
  /** Name inside the container (eth0, eth1 …). */
  ifname: string;
}

/** API EndpointSettings the client asked for (IPAMConfig, Aliases …), kept as given. */
export interface Attachment {
  networkId: string;
  config: { IPAMConfig?: { IPv4Address?: string; IPv6Address?: string } | null; Aliases?: string[] | null; MacAddress?: string; [k: string]: unknown };
  endpoint?: Endpoint;
}

export interface PortMapping {
  proto: 'tcp' | 'udp';
  containerPort: number;
  hostIp: string;
  hostPort: number;
}

export interface ContainerNetworking {
  containerId: string;
  attachments: Attachment[];
  ports: PortMapping[];
  /** Network namespace path while running with a sandbox of Berth's. */
  sandbox?: string;
}

/** The IPv6 entry of a network's IPAM config, if it has one. */
export function ipv6Config(n: NetworkRecord): IpamConfigEntry | undefined {
  return n.EnableIPv6 ? n.IPAM.Config.find((c) => c.Subnet.includes(':')) : undefined;
}
