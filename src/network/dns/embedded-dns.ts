// The embedded DNS as the network controller sees it: which networks get one (user-defined
// bridges), their listeners' lifecycle, the redirect in a starting container's namespace, and
// the name table built from the controller's records at each query.
import type { Logger } from '../../lib/log.js';
import { errorMessage } from '../../lib/errors.js';
import type { ContainerRecord } from '../../containers/model.js';
import type { ContainerNetworking, Endpoint, NetworkRecord } from '../model.js';
import { DnsListeners } from './listeners.js';
import { NameTable, type DnsEndpoint } from './names.js';
import { installRedirect } from './redirect.js';
import { Resolver } from './resolver.js';
import { parseLink } from './links.js';

export interface EmbeddedDnsSource {
  networks(): Iterable<NetworkRecord>;
  containers(): Iterable<ContainerNetworking>;
  find(containerId: string): ContainerRecord | undefined;
}

/** The endpoint whose network's DNS a container uses: that of its first user-defined network. */
export function dnsEndpoint(rec: ContainerNetworking, network: (id: string) => NetworkRecord | undefined): Endpoint | undefined {
  return rec.attachments.find((x) => x.endpoint && servesDns(network(x.networkId)))?.endpoint;
}

/** Docker gives user-defined networks an embedded DNS and the default bridge none. */
export function servesDns(n: NetworkRecord | undefined): n is NetworkRecord {
  return !!n && n.Driver === 'bridge' && !n.predefined && !!n.IPAM.Config[0]?.Gateway;
}

export class EmbeddedDns {
  private readonly listeners: DnsListeners;

  constructor(
    private readonly src: EmbeddedDnsSource,
    private readonly log: Logger,
  ) {
    const resolver = new Resolver({
      table: () => new NameTable(this.endpoints()),
      dnsServers: (id) => ((this.src.find(id)?.HostConfig.Dns as string[] | null | undefined) ?? []).filter(Boolean),
    });
    this.listeners = new DnsListeners(resolver, log);
  }

  /** Listens for a network that has a DNS; a failure (port 53 taken on that address) is logged, not fatal. */
  async networkUp(n: NetworkRecord): Promise<void> {
    if (!servesDns(n)) return;
    await this.listeners.listen(n.Id, n.IPAM.Config[0]!.Gateway).catch((err) => this.log.warn(`embedded DNS for network ${n.Name}: ${errorMessage(err)}`));
  }

  networkDown(networkId: string): Promise<void> {
    return this.listeners.close(networkId);
  }

  close(): Promise<void> {
    return this.listeners.closeAll();
  }

  /** Gateway addresses listened on. */
  addresses(): string[] {
    return this.listeners.addresses();
  }

  /**
   * After a container joined its networks: the DNS it gets is the one of its first user-defined
   * network (undefined when it has none: it keeps the host's servers, as on the default bridge).
   * The redirect is being installed when this returns; `ready` settles once it is in place.
   */
  containerJoined(netns: string, rec: ContainerNetworking, network: (id: string) => NetworkRecord | undefined): { ready: Promise<void> } | undefined {
    const ep = dnsEndpoint(rec, network);
    if (!ep) return undefined;
    const ready = installRedirect(netns, ep.gateway, ep.ip);
    // Awaited later (before the container runs); a failure before that point must not go unhandled.
    ready.catch(() => undefined);
    return { ready };
  }

  /**
   * A running container was connected to or disconnected from a network: when the network whose
   * DNS it uses changed, the redirect is pointed at the new one. Returns whether the container
   * has the embedded DNS now but had none before (its resolv.conf has to name 127.0.0.11).
   */
  async containerMoved(netns: string, rec: ContainerNetworking, before: Endpoint | undefined, network: (id: string) => NetworkRecord | undefined): Promise<boolean> {
    const now = dnsEndpoint(rec, network);
    if (!now || (before && before.gateway === now.gateway && before.ip === now.ip)) return false;
    await installRedirect(netns, now.gateway, now.ip);
    return !before;
  }

  private *endpoints(): Iterable<DnsEndpoint> {
    const nets = new Map<string, NetworkRecord>();
    for (const n of this.src.networks()) if (servesDns(n)) nets.set(n.Id, n);
    for (const rec of this.src.containers()) {
      const c = this.src.find(rec.containerId);
      if (!c) continue;
      for (const a of rec.attachments) {
        const n = nets.get(a.networkId);
        if (!n || !a.endpoint) continue;
        // Links on a user network are the endpoint's; a client may also have sent them only in HostConfig.
        const links = (a.config.Links as string[] | null | undefined) ?? (c.HostConfig.Links as string[] | null | undefined) ?? [];
        yield {
          containerId: c.Id,
          name: c.Name.replace(/^\//, ''),
          networkId: n.Id,
          networkName: n.Name,
          ip: a.endpoint.ip,
          ...(a.endpoint.ip6 ? { ip6: a.endpoint.ip6 } : {}),
          aliases: (a.config.Aliases ?? []).filter(Boolean),
          links: links.map(parseLink),
        };
      }
    }
  }
}
