// The bridge driver: a Linux bridge per network holding the gateway address, and per endpoint a
// veth pair with one end on the bridge and the other (eth0 …) in the container's namespace.
import { InvalidParameter } from '../../lib/errors.js';
import { ipBatch, ipBatchForce, linkExists, setSysctl } from '../iproute.js';
import { ipv6Config, type Endpoint, type NetworkRecord } from '../model.js';
import { endpointAddressLines, type JoinOptions, type NetworkDriver } from './driver.js';

export const OPT = {
  name: 'com.docker.network.bridge.name',
  icc: 'com.docker.network.bridge.enable_icc',
  masquerade: 'com.docker.network.bridge.enable_ip_masquerade',
  hostBinding: 'com.docker.network.bridge.host_binding_ipv4',
  mtu: 'com.docker.network.driver.mtu',
  defaultBridge: 'com.docker.network.bridge.default_bridge',
} as const;

const KNOWN = new Set<string>([...Object.values(OPT), 'com.docker.network.bridge.inhibit_ipv4', 'com.docker.network.container_iface_prefix']);

export function validateBridgeOptions(opts: Record<string, string>): void {
  for (const [k, v] of Object.entries(opts)) {
    if (!k.startsWith('com.docker.network.')) continue;
    if (!KNOWN.has(k)) throw new InvalidParameter(`unsupported bridge option ${k}`);
    if ((k === OPT.icc || k === OPT.masquerade) && !/^(true|false|1|0)$/.test(v)) throw new InvalidParameter(`invalid value for ${k}: ${v}`);
    if (k === OPT.mtu && !/^\d+$/.test(v)) throw new InvalidParameter(`invalid value for ${k}: ${v}`);
    if (k === OPT.name && !/^[A-Za-z0-9_.-]{1,15}$/.test(v)) throw new InvalidParameter(`invalid bridge name ${JSON.stringify(v)}: at most 15 letters, digits, '.', '-' or '_'`);
  }
}

export function optTrue(opts: Record<string, string>, key: string, dflt: boolean): boolean {
  const v = opts[key];
  return v === undefined ? dflt : v === 'true' || v === '1';
}

export class BridgeDriver implements NetworkDriver {
  readonly name = 'bridge';
  readonly endpoints = true;

  /** @param routeLocalnet set route_localnet on bridges so host traffic to 127.0.0.1 can be DNATed to them. */
  constructor(private readonly routeLocalnet: boolean) {}

  async createNetwork(n: NetworkRecord): Promise<void> {
    const br = n.bridge!;
    const cfg = n.IPAM.Config[0]!;
    const prefix = cfg.Subnet.split('/')[1];
    const mtu = n.Options[OPT.mtu];
    const v6 = ipv6Config(n);
    if (!(await linkExists(br))) {
      await ipBatch([
        `link add name ${br} type bridge`,
        ...(mtu ? [`link set ${br} mtu ${mtu}`] : []),
        `addr add ${cfg.Gateway}/${prefix} dev ${br}`,
        ...(v6 ? [`addr add ${v6.Gateway}/${v6.Subnet.split('/')[1]} dev ${br} nodad`] : []),
        `link set ${br} up`,
      ]);
    }
    if (this.routeLocalnet) await setSysctl(`net/ipv4/conf/${br}/route_localnet`, '1');
  }

  async deleteNetwork(n: NetworkRecord): Promise<void> {
    if (n.bridge && (await linkExists(n.bridge))) await ipBatchForce([`link del ${n.bridge}`]);
  }

  async join(n: NetworkRecord, ep: Endpoint, o: JoinOptions): Promise<void> {
    const mtu = n.Options[OPT.mtu];
    const m = mtu ? ` mtu ${mtu}` : '';
    await ipBatch([
      `link add ${ep.hostVeth}${m} type veth peer name ${ep.ifname} address ${ep.mac}${m} netns ${o.netns}`,
      `link set ${ep.hostVeth} master ${n.bridge} up`,
    ]);
    const inside = endpointAddressLines(ep, o.defaultRoute && !n.Internal);
    try {
      await ipBatch(inside, o.netns);
    } catch (err) {
      await ipBatchForce([`link del ${ep.hostVeth}`]);
      throw err;
    }
  }

  async leave(_n: NetworkRecord, ep: Endpoint): Promise<void> {
    // Deleting one end deletes the pair; with the namespace already gone, so is the veth.
    if (await linkExists(ep.hostVeth)) await ipBatchForce([`link del ${ep.hostVeth}`]);
  }
}
