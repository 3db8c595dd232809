// Engine API shapes for networks (moby api/swagger.yaml Network, EndpointSettings) and for a
// container's NetworkSettings, built from the network controller's records at the API edge.
import type { ContainerRecord } from '../../containers/model.js';
import type { NetworkController } from '../../network/controller.js';
import type { Attachment, NetworkRecord } from '../../network/model.js';
import { portsView, summaryPorts } from '../../network/ports.js';

export function networkOut(n: NetworkRecord, members: ReturnType<NetworkController['membersOf']> | undefined): Record<string, unknown> {
  const containers: Record<string, unknown> = {};
  for (const m of members ?? []) {
    containers[m.id] = { Name: m.name, EndpointID: m.ep.Id, MacAddress: m.ep.mac, IPv4Address: `${m.ep.ip}/${m.ep.prefix}`, IPv6Address: m.ep.ip6 ? `${m.ep.ip6}/${m.ep.prefix6}` : '' };
  }
  return {
    Name: n.Name,
    Id: n.Id,
    Created: n.Created,
    Scope: 'local',
    Driver: n.Driver,
    EnableIPv4: true,
    EnableIPv6: !!n.EnableIPv6,
    // dockerd leaves out an empty Gateway (a macvlan network without --gateway).
    IPAM: { Driver: n.IPAM.Driver, Options: n.IPAM.Options, Config: n.IPAM.Config.map(({ Gateway, ...c }) => (Gateway ? { ...c, Gateway } : c)) },
    Internal: n.Internal,
    Attachable: n.Attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: n.Options,
    Labels: n.Labels,
  };
}

function endpointOut(n: NetworkRecord, a: Attachment): Record<string, unknown> {
  const ep = a.endpoint;
  const aliases = a.config.Aliases?.length ? a.config.Aliases : null;
  return {
    IPAMConfig: a.config.IPAMConfig?.IPv4Address || a.config.IPAMConfig?.IPv6Address ? { ...(a.config.IPAMConfig.IPv4Address ? { IPv4Address: a.config.IPAMConfig.IPv4Address } : {}), ...(a.config.IPAMConfig.IPv6Address ? { IPv6Address: a.config.IPAMConfig.IPv6Address } : {}) } : null,
    Links: null,
    Aliases: aliases,
    MacAddress: ep?.mac ?? '',
    DriverOpts: null,
    GwPriority: 0,
    NetworkID: n.Id,
    EndpointID: ep?.Id ?? '',
    Gateway: ep?.gateway ?? '',
    IPAddress: ep?.ip ?? '',
    IPPrefixLen: ep?.prefix ?? 0,
    IPv6Gateway: ep?.gateway6 ?? '',
    GlobalIPv6Address: ep?.ip6 ?? '',
    GlobalIPv6PrefixLen: ep?.prefix6 ?? 0,
    DNSNames: n.predefined ? null : ep ? [...(aliases ?? [])] : null,
  };
}

/** Inspect's NetworkSettings; the legacy top-level address fields come from the default bridge only, as Docker's. */
export function networkSettingsOut(c: ContainerRecord, network: NetworkController | undefined): Record<string, unknown> {
  const view = network?.view(c);
  const networks: Record<string, unknown> = {};
  for (const { n, a } of view?.networks ?? []) networks[n.Name] = endpointOut(n, a);
  const bridge = view?.networks.find((x) => x.n.predefined && x.n.Name === 'bridge')?.a.endpoint;
  return {
    Bridge: '',
    SandboxID: view?.rec?.sandbox ? c.Id : '',
    SandboxKey: view?.rec?.sandbox ?? '',
    Ports: portsView(view?.rec?.ports ?? [], c.Config.ExposedPorts),
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: bridge?.Id ?? '',
    Gateway: bridge?.gateway ?? '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: bridge?.ip ?? '',
    IPPrefixLen: bridge?.prefix ?? 0,
    IPv6Gateway: '',
    MacAddress: bridge?.mac ?? '',
    Networks: networks,
  };
}

/** ps's Ports and NetworkSettings.Networks. */
export function summaryNetworkOut(c: ContainerRecord, network: NetworkController | undefined): { Ports: unknown[]; NetworkSettings: { Networks: Record<string, unknown> } } {
  const view = network?.view(c);
  const networks: Record<string, unknown> = {};
  for (const { n, a } of view?.networks ?? []) networks[n.Name] = endpointOut(n, a);
  return { Ports: summaryPorts(view?.rec?.ports ?? [], c.Config.ExposedPorts), NetworkSettings: { Networks: networks } };
}
