// The network controller (CNM): owns networks, each container's attachments and endpoints, and
// sandboxes; asks the drivers for links, the IPAM for addresses and nft for the daemon's table.
// The containers service calls it around a container's life (created, starting, stopped, removed).
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { promises as fs } from 'node:fs';
import { Conflict, Forbidden, InvalidParameter, NotFound, errorMessage } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import type { Logger } from '../lib/log.js';
import type { EventBus } from '../daemon/events.js';
import type { ContainerRecord } from '../containers/model.js';
import { AddressPool6, contains6, parseCidr6, parseIp6, resolveIpv6Config, type Cidr6 } from './ipam/ipv6.js';
import { AddressPool, DEFAULT_POOLS, pickSubnet, resolveIpamConfig, type IpamConfigIn, type PoolSpec } from './ipam/ipam.js';
import { contains, formatCidr, formatIp, isIp, parseCidr, parseIp, type Cidr } from './ipam/cidr.js';
import { NetworkStore } from './store.js';
import { Sandboxes } from './sandbox.js';
import { BridgeDriver, OPT, optTrue, validateBridgeOptions } from './drivers/bridge.js';
import { HostDriver } from './drivers/host.js';
import { NoneDriver } from './drivers/none.js';
import { MacvlanDriver, validateMacvlanOptions } from './drivers/macvlan.js';
import type { NetworkDriver } from './drivers/driver.js';
import { hostRoutes, setSysctl } from './iproute.js';
import { applyScript, syncForeignForward } from './nft/nft.js';
import { renderRuleset, type PortRule } from './nft/ruleset.js';
import { resolvePorts, validatePortBindings, type PortBindings } from './ports.js';
import { macForIp, userBridgeName, type DaemonNetNames } from './naming.js';
import { ipv6Config, type Attachment, type ContainerNetworking, type DriverName, type Endpoint, type IpamConfigEntry, type NetworkRecord, type PortMapping } from './model.js';
import { UserlandProxies } from './proxy.js';
import { EmbeddedDns, dnsEndpoint } from './dns/embedded-dns.js';
import { rewriteResolvConf, type DnsSettings } from './dns/resolv-conf.js';
import { checkLinks, resolveLegacyLinks } from './dns/links.js';

export interface NetworkControllerOptions {
  dataRoot: string;
  execRoot: string;
  log: Logger;
  events: EventBus;
  names: DaemonNetNames;
  /** daemon.json `default-address-pools` (Docker's defaults when absent). */
  pools?: PoolSpec[];
  /** daemon.json `bip`: the default bridge's gateway/prefix. */
  bip?: string;
  /** daemon.json `fixed-cidr`: the default bridge hands out addresses from this range only. */
  fixedCidr?: string;
  /** daemon.json `host-gateway-ip`: the address `--add-host NAME:host-gateway` stands for. */
  hostGatewayIp?: string;
  /** daemon.json `bridge`: `none` means no default bridge network. */
  bridge?: string;
  /** daemon.json `iptables`: whether Berth manages firewall rules at all. */
  iptables: boolean;
  ipForward: boolean;
  /** Loopback access to published ports through a proxy in berthd instead of route_localnet DNAT. */
  userlandProxy: boolean;
  mtu?: number;
}

/** What `docker network create` sends. */
export interface NetworkCreateRequest {
  Name?: string;
  Driver?: string;
  Internal?: boolean;
  Attachable?: boolean;
  EnableIPv6?: boolean;
  IPAM?: { Driver?: string; Config?: IpamConfigIn[] | null; Options?: Record<string, string> | null } | null;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

export interface ContainerLookup {
  get(ref: string): ContainerRecord;
  find(id: string): ContainerRecord | undefined;
  isRunning(c: ContainerRecord): boolean;
}

/** What the bundle needs from the network at start. */
export interface SandboxInfo {
  /** The daemon-made namespace to join; undefined when the runtime makes (none) or skips (host) it. */
  netns?: string;
  /** `ip\thostname` lines for /etc/hosts. */
  hosts: string[];
  /** 127.0.0.11 answers in this namespace (a user-defined network): resolv.conf names it. */
  embeddedDns?: boolean;
  /** Legacy links on the default bridge: /etc/hosts lines and environment variables. */
  links?: { hosts: string[]; env: string[] };
  /** Work in the namespace still under way (the DNS redirect): await before the container runs. */
  ready?: Promise<void>;
  /** What `--add-host NAME:host-gateway` stands for (undefined: no default bridge and no host-gateway-ip). */
  hostGateway?: string;
}

const PREDEFINED = ['bridge', 'host', 'none'];

export class NetworkController {
  private readonly store: NetworkStore;
  readonly sandboxes: Sandboxes;
  private readonly networks = new Map<string, NetworkRecord>();
  private readonly pools = new Map<string, AddressPool>();
  private readonly pools6 = new Map<string, AddressPool6>();
  private readonly ctrs = new Map<string, ContainerNetworking>();
  private readonly drivers: Record<DriverName, NetworkDriver>;
  private readonly proxies = new UserlandProxies();
  private firewall: Promise<void> = Promise.resolve();
  readonly dns: EmbeddedDns;
  /** Set by the composition root once the containers service exists. */
  containers?: ContainerLookup;

  constructor(private readonly o: NetworkControllerOptions) {
    this.store = new NetworkStore(o.dataRoot);
    this.sandboxes = new Sandboxes(o.execRoot);
    this.drivers = { bridge: new BridgeDriver(!o.userlandProxy), host: new HostDriver(), null: new NoneDriver(), macvlan: new MacvlanDriver(() => this.list()) };
    this.dns = new EmbeddedDns({ networks: () => this.networks.values(), containers: () => this.ctrs.values(), find: (id) => this.containers?.find(id) }, o.log);
  }

  // ---------------------------------------------------------------- start and restore

  async init(): Promise<void> {
    if (this.o.hostGatewayIp && !isIp(this.o.hostGatewayIp)) throw new InvalidParameter(`invalid host-gateway-ip ${JSON.stringify(this.o.hostGatewayIp)}: not an IP address`);
    const { networks, containers } = await this.store.init();
    for (const n of networks) {
      // Records written before the none network's driver got Docker's name.
      if ((n.Driver as string) === 'none') n.Driver = 'null';
      this.networks.set(n.Id, n);
    }
    for (const c of containers) this.ctrs.set(c.containerId, c);
    if (this.o.ipForward) await setSysctl('net/ipv4/ip_forward', '1').catch((err) => this.o.log.warn(`ip-forward: ${errorMessage(err)}`));
    await this.ensurePredefined();
    for (const n of this.networks.values()) {
      if (n.IPAM.Config[0]) this.pools.set(n.Id, new AddressPool(n.IPAM.Config[0]));
      const v6 = ipv6Config(n);
      if (v6) this.pools6.set(n.Id, new AddressPool6(v6));
      // After a reboot the bridges are gone; bring them back as they were.
      if (n.Driver === 'bridge') await this.drivers.bridge.createNetwork(n);
      await this.dns.networkUp(n);
    }
    for (const c of this.ctrs.values()) {
      for (const a of c.attachments) {
        if (a.endpoint) this.pools.get(a.networkId)?.reserve(a.endpoint.ip);
        if (a.endpoint?.ip6) this.pools6.get(a.networkId)?.reserve(a.endpoint.ip6);
      }
      if (this.o.userlandProxy) this.startProxies(c);
    }
    await this.applyFirewall(true);
  }

  private async ensurePredefined(): Promise<void> {
    const byName = (name: string) => [...this.networks.values()].find((n) => n.predefined && n.Name === name);
    const base = (name: string, driver: DriverName): NetworkRecord => ({
      Id: newId(),
      Name: name,
      Driver: driver,
      Created: new Date().toISOString(),
      Internal: false,
      Attachable: false,
      Options: {},
      Labels: {},
      IPAM: { Driver: 'default', Options: null, Config: [] },
      predefined: true,
    });
    for (const [d, driver] of [['host', 'host'], ['none', 'null']] as const) {
      if (!byName(d)) {
        const n = base(d, driver);
        this.networks.set(n.Id, n);
        await this.store.saveNetwork(n);
      }
    }
    const existing = byName('bridge');
    if (this.o.bridge === 'none') return;
    const wanted = this.defaultBridgeConfig();
    const mtu = String(this.o.mtu ?? 1500);
    const current = existing?.IPAM.Config[0];
    if (existing && (!wanted || (current?.Subnet === wanted.Subnet && current.Gateway === wanted.Gateway && current.IPRange === wanted.IPRange)) && existing.Options[OPT.mtu] === mtu) return;
    if (existing && this.hasEndpoints(existing.Id)) return;
    // Only the MTU changed: the bridge keeps its addresses.
    let cfg = wanted ?? (current ? { ...current } : undefined);
    if (!cfg) {
      const taken = [...(await hostRoutes()), ...this.subnets(existing?.Id)];
      const s = pickSubnet(this.o.pools ?? DEFAULT_POOLS, taken);
      cfg = { Subnet: `${formatIp(s.base)}/${s.bits}`, Gateway: formatIp(s.base + 1) };
    }
    const n = existing ?? base('bridge', 'bridge');
    if (existing) await this.drivers.bridge.deleteNetwork(existing);
    n.IPAM.Config = [cfg];
    n.bridge = this.o.names.defaultBridge;
    n.Options = {
      [OPT.defaultBridge]: 'true',
      [OPT.icc]: 'true',
      [OPT.masquerade]: 'true',
      [OPT.hostBinding]: '0.0.0.0',
      [OPT.name]: n.bridge,
      [OPT.mtu]: mtu,
    };
    this.networks.set(n.Id, n);
    await this.store.saveNetwork(n);
  }

  /**
   * The default bridge's address config from `bip` and `fixed-cidr`, as dockerd derives it: bip
   * is the gateway and subnet, fixed-cidr the range inside it (or, without bip, the subnet too).
   * Undefined when neither is set (a subnet is picked from the pools).
   */
  private defaultBridgeConfig(): IpamConfigEntry | undefined {
    const { bip, fixedCidr } = this.o;
    if (!bip && !fixedCidr) return undefined;
    const range = fixedCidr ? parseCidr(fixedCidr, true) : undefined;
    let subnet: Cidr;
    let gw: number;
    if (bip) {
      gw = parseIp(bip.split('/')[0]!);
      subnet = parseCidr(bip, true);
      if (!contains(subnet, gw)) throw new InvalidParameter(`invalid bip ${bip}`);
      if (range && !(contains(subnet, range.base) && range.bits >= subnet.bits)) throw new InvalidParameter(`fixed-cidr ${fixedCidr} is not inside the bridge's subnet ${formatCidr(subnet)} (bip ${bip})`);
    } else {
      subnet = range!;
      if (subnet.bits > 30) throw new InvalidParameter(`invalid fixed-cidr ${fixedCidr}: it leaves no room for addresses`);
      gw = subnet.base + 1;
    }
    return { Subnet: formatCidr(subnet), Gateway: formatIp(gw), ...(range ? { IPRange: formatCidr(range) } : {}) };
  }

  /** What `host-gateway` in `--add-host` stands for: host-gateway-ip, else the default bridge's gateway. */
  hostGateway(): string | undefined {
    if (this.o.hostGatewayIp) return this.o.hostGatewayIp;
    const bridge = this.find('bridge');
    return bridge?.predefined ? bridge.IPAM.Config[0]?.Gateway || undefined : undefined;
  }

  /** Nothing to do at daemon shutdown: bridges, rules and namespaces outlive it (live restore). */
  close(): void {
    this.proxies.closeAll();
    void this.dns.close();
  }

  // ---------------------------------------------------------------- networks

  find(ref: string): NetworkRecord | undefined {
    if (this.networks.has(ref)) return this.networks.get(ref);
    const all = [...this.networks.values()];
    const byName = all.find((n) => n.Name === ref);
    if (byName) return byName;
    const byPrefix = all.filter((n) => n.Id.startsWith(ref));
    if (byPrefix.length > 1) throw new InvalidParameter(`network ${ref} is ambiguous (${byPrefix.length} matches found on name)`);
    return byPrefix[0];
  }

  get(ref: string): NetworkRecord {
    const n = ref ? this.find(ref) : undefined;
    if (!n) throw new NotFound(`network ${ref} not found`);
    return n;
  }

  list(): NetworkRecord[] {
    return [...this.networks.values()];
  }

  async create(req: NetworkCreateRequest): Promise<{ Id: string; Warning: string }> {
    const name = req.Name ?? '';
    if (!name) throw new InvalidParameter('network name is required');
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) throw new InvalidParameter(`invalid network name "${name}": name must match [a-zA-Z0-9][a-zA-Z0-9_.-]*`);
    if (PREDEFINED.includes(name)) throw new Forbidden(`operation is not permitted on predefined ${name} network `);
    if ([...this.networks.values()].some((n) => n.Name === name)) throw new Conflict(`network with name ${name} already exists`);
    const driver = req.Driver || 'bridge';
    if (driver === 'host' || driver === 'null') throw new Forbidden(`only one instance of "${driver}" network is allowed`);
    if (driver !== 'bridge' && driver !== 'macvlan') throw new NotFound(`plugin "${driver}" not found`);
    const ipamDriver = req.IPAM?.Driver || 'default';
    if (ipamDriver !== 'default') throw new NotFound(`plugin "${ipamDriver}" not found`);
    const isV6 = (c: IpamConfigIn) => !!(c.Subnet?.includes(':') || (!c.Subnet && c.Gateway?.includes(':')));
    const configs = (req.IPAM?.Config ?? []).filter((c) => !isV6(c));
    if (configs.length > 1) throw new InvalidParameter('Berth supports one IPv4 subnet per network');
    const configs6 = req.EnableIPv6 ? (req.IPAM?.Config ?? []).filter(isV6) : [];
    if (configs6.length > 1) throw new InvalidParameter('Berth supports one IPv6 subnet per network');
    if (configs6[0] && !configs6[0].Subnet) throw new InvalidParameter(`no matching subnet for gateway ${configs6[0].Gateway}`);
    const options = { ...(req.Options ?? {}) };
    if (driver === 'macvlan') validateMacvlanOptions(options);
    else validateBridgeOptions(options);

    const id = newId();
    const bridge = driver === 'bridge' ? options[OPT.name] || userBridgeName(id) : undefined;
    if (bridge && [...this.networks.values()].some((n) => n.bridge === bridge)) throw new Conflict(`bridge name ${bridge} is already used by another network`);
    const mine = this.subnets();
    const routes = configs[0]?.Subnet ? [] : await hostRoutes();
    const ipam = resolveIpamConfig(configs[0] ?? {}, () => pickSubnet(this.o.pools ?? DEFAULT_POOLS, [...mine, ...routes]), mine);
    // The gateway of a macvlan network is a router on the parent's LAN: none unless given (Docker 28).
    if (driver === 'macvlan' && !configs[0]?.Gateway) ipam.Gateway = '';
    const ipam6 = req.EnableIPv6 ? resolveIpv6Config(configs6[0], this.subnets6()) : undefined;
    // As for IPv4: a macvlan network's router is on the parent's LAN, so none unless given.
    if (ipam6 && driver === 'macvlan' && !configs6[0]?.Gateway) ipam6.Gateway = '';
    const n: NetworkRecord = {
      Id: id,
      Name: name,
      Driver: driver,
      ...(ipam6 ? { EnableIPv6: true } : {}),
      Created: new Date().toISOString(),
      Internal: !!req.Internal,
      Attachable: !!req.Attachable,
      Options: options,
      Labels: { ...(req.Labels ?? {}) },
      IPAM: { Driver: 'default', Options: req.IPAM?.Options ?? {}, Config: ipam6 ? [ipam, ipam6] : [ipam] },
      bridge,
      userSubnet: !!configs[0]?.Subnet,
    };
    // No half-made network: the bridge and the rules exist before the record does, and go if either fails.
    try {
      await this.drivers[n.Driver].createNetwork(n);
      this.networks.set(n.Id, n);
      this.pools.set(n.Id, new AddressPool(ipam));
      if (ipam6) this.pools6.set(n.Id, new AddressPool6(ipam6));
      await this.applyFirewall(true);
      await this.store.saveNetwork(n);
    } catch (err) {
      this.networks.delete(n.Id);
      this.pools.delete(n.Id);
      this.pools6.delete(n.Id);
      await this.drivers[n.Driver].deleteNetwork(n).catch(() => undefined);
      await this.applyFirewall(true).catch(() => undefined);
      throw err;
    }
    await this.dns.networkUp(n);
    this.o.events.publish('network', 'create', n.Id, { name: n.Name, type: n.Driver });
    return { Id: n.Id, Warning: '' };
  }

  async remove(ref: string): Promise<void> {
    const n = this.get(ref);
    if (n.predefined) throw new Forbidden(`${n.Name} is a pre-defined network and cannot be removed`);
    const active = [...this.ctrs.values()].filter((c) => c.attachments.some((a) => a.networkId === n.Id && a.endpoint));
    if (active.length) {
      // As dockerd 28: each endpoint by its container's name and its own short id.
      const eps = active.map((c) => `name:"${this.containers?.find(c.containerId)?.Name.slice(1) ?? c.containerId.slice(0, 12)}" id:"${c.attachments.find((a) => a.networkId === n.Id)!.endpoint!.Id.slice(0, 12)}"`);
      throw new Forbidden(`error while removing network: network ${n.Name} has active endpoints (${eps.join(', ')})`);
    }
    await this.dns.networkDown(n.Id);
    await this.drivers[n.Driver].deleteNetwork(n);
    this.networks.delete(n.Id);
    this.pools.delete(n.Id);
    this.pools6.delete(n.Id);
    await this.store.removeNetwork(n.Id);
    await this.applyFirewall(true);
    this.o.events.publish('network', 'destroy', n.Id, { name: n.Name, type: n.Driver });
  }

  /** Networks no container refers to (created or running), optionally filtered. */
  async prune(keep: (n: NetworkRecord) => boolean): Promise<{ NetworksDeleted: string[] }> {
    const deleted: string[] = [];
    for (const n of this.list()) {
      if (n.predefined || keep(n)) continue;
      const used = [...this.ctrs.values()].some((c) => c.attachments.some((a) => a.networkId === n.Id));
      if (used) continue;
      await this.remove(n.Id);
      deleted.push(n.Name);
    }
    return { NetworksDeleted: deleted };
  }

  /** Containers attached to a network, for network inspect. */
  membersOf(n: NetworkRecord): { id: string; name: string; ep: Endpoint }[] {
    const out: { id: string; name: string; ep: Endpoint }[] = [];
    for (const c of this.ctrs.values()) {
      const a = c.attachments.find((x) => x.networkId === n.Id);
      if (!a?.endpoint) continue;
      out.push({ id: c.containerId, name: this.containers?.find(c.containerId)?.Name.slice(1) ?? '', ep: a.endpoint });
    }
    return out;
  }

  // ---------------------------------------------------------------- containers

  /** At create: resolve and check the container's networks, static addresses and ports. */
  async containerCreated(c: ContainerRecord, networking: unknown): Promise<void> {
    validatePortBindings(c.HostConfig.PortBindings as PortBindings);
    if (this.containers) checkLinks((c.HostConfig.Links as string[] | null) ?? [], c.HostConfig.NetworkMode, this.containers);
    let attachments: Attachment[];
    try {
      attachments = this.attachmentsFor(c, networking);
    } catch (err) {
      // As dockerd: a network that does not exist (yet) fails the start, not the create. A 404
      // here would also make the docker CLI take it for a missing image and try to pull one.
      if (err instanceof NotFound) return;
      throw err;
    }
    const rec: ContainerNetworking = { containerId: c.Id, attachments, ports: [] };
    this.ctrs.set(c.Id, rec);
    await this.store.saveContainer(rec);
  }

  private attachmentsFor(c: ContainerRecord, networking: unknown): Attachment[] {
    const mode = c.HostConfig.NetworkMode || 'default';
    if (mode.startsWith('container:')) return [];
    const eps = ((networking as { EndpointsConfig?: Record<string, Attachment['config'] | null> } | undefined)?.EndpointsConfig ?? {}) as Record<string, Attachment['config'] | null>;
    const primary = mode === 'default' ? 'bridge' : mode;
    if (primary === 'bridge' && this.o.bridge === 'none' && !this.find('bridge')) return [];
    const n = this.get(primary);
    const out: Attachment[] = [{ networkId: n.Id, config: { ...(eps[mode] ?? eps[primary] ?? eps[n.Name] ?? eps[n.Id] ?? {}) } }];
    for (const [ref, cfg] of Object.entries(eps)) {
      const other = this.get(ref === 'default' ? 'bridge' : ref);
      if (out.some((a) => a.networkId === other.Id)) continue;
      if (!this.drivers[other.Driver].endpoints || !this.drivers[n.Driver].endpoints) throw new InvalidParameter('conflicting options: cannot attach both user-defined and non-user-defined network-modes');
      out.push({ networkId: other.Id, config: { ...(cfg ?? {}) } });
    }
    for (const a of out) this.checkEndpointConfig(this.networks.get(a.networkId)!, a.config);
    return out;
  }

  private checkEndpointConfig(n: NetworkRecord, cfg: Attachment['config']): void {
    const ip6 = cfg.IPAMConfig?.IPv6Address;
    if (ip6) {
      const v6 = ipv6Config(n);
      if (n.predefined) throw new InvalidParameter('user specified IP address is supported on user defined networks only');
      if (!v6) throw new InvalidParameter(`network ${n.Name} has no IPv6 (created without --ipv6): cannot use the IPv6 address ${ip6}`);
      if (!contains6(parseCidr6(v6.Subnet), parseIp6(ip6))) throw new InvalidParameter(`no configured subnet or ip-range contain the IP address ${ip6}`);
    }
    const ip = cfg.IPAMConfig?.IPv4Address;
    if (cfg.Aliases?.length && (n.predefined || !this.drivers[n.Driver].endpoints)) throw new InvalidParameter('network-scoped alias is supported only for containers in user defined networks');
    if (!ip) return;
    if (n.predefined) throw new InvalidParameter('user specified IP address is supported on user defined networks only');
    if (!n.userSubnet) throw new InvalidParameter('user specified IP address is supported only when connecting to networks with user configured subnets');
    if (!contains(parseCidr(n.IPAM.Config[0]!.Subnet), parseIp(ip))) throw new InvalidParameter(`no configured subnet or ip-range contain the IP address ${ip}`);
  }

  private record(c: ContainerRecord): ContainerNetworking {
    let rec = this.ctrs.get(c.Id);
    if (!rec) {
      // A container made before networking existed: derive its attachments from HostConfig.
      rec = { containerId: c.Id, attachments: this.attachmentsFor(c, undefined), ports: [] };
      this.ctrs.set(c.Id, rec);
    }
    return rec;
  }

  /** Before the runtime starts: the sandbox, an endpoint per bridge network, published ports. */
  async containerStarting(c: ContainerRecord): Promise<SandboxInfo> {
    const rec = this.record(c);
    const first = rec.attachments[0] && this.networks.get(rec.attachments[0].networkId);
    if (!first) {
      if (rec.attachments.length) throw new NotFound(`network ${rec.attachments[0]!.networkId} not found`);
      return { hosts: [], hostGateway: this.hostGateway() };
    }
    if (!this.drivers[first.Driver].endpoints) return { hosts: [], hostGateway: this.hostGateway() };
    const info: Partial<SandboxInfo> = {};
    try {
      rec.sandbox = await this.sandboxes.create(c.Id);
      for (const a of rec.attachments) await this.join(c, rec, a);
      const dns = this.dns.containerJoined(rec.sandbox, rec, (id) => this.networks.get(id));
      info.embeddedDns = !!dns;
      info.ready = dns?.ready;
      const bridge = this.find('bridge');
      if (bridge?.predefined && rec.attachments.some((a) => a.networkId === bridge.Id)) info.links = resolveLegacyLinks(c.Name.slice(1), (c.HostConfig.Links as string[] | null) ?? [], this.linkLookup(bridge.Id));
      // Docker publishes nothing on macvlan (no NAT there): -p and -P are ignored with a warning.
      const publishes = first.Driver !== 'macvlan';
      if (!publishes && (Object.keys(c.HostConfig.PortBindings ?? {}).length || c.HostConfig.PublishAllPorts)) this.o.log.warn(`container ${c.Id.slice(0, 12)}: macvlan driver does not support port mappings`);
      rec.ports = !publishes ? [] : resolvePorts(c.HostConfig.PortBindings as PortBindings, !!c.HostConfig.PublishAllPorts, c.Config.ExposedPorts, {
        taken: (proto, ip, port) => this.portTaken(c.Id, proto, ip, port),
        ephemeralRange: await ephemeralRange(),
      });
      for (const p of rec.ports) await assertHostPortFree(p);
      await this.store.saveContainer(rec);
      if (rec.ports.length) await this.applyFirewall(false);
      if (this.o.userlandProxy) this.startProxies(rec);
    } catch (err) {
      await this.containerStopped(c).catch(() => undefined);
      throw err;
    }
    const hostname = c.Config.Hostname ?? c.Id.slice(0, 12);
    const hosts = rec.attachments.flatMap((a) => (a.endpoint ? [a.endpoint.ip, ...(a.endpoint.ip6 ? [a.endpoint.ip6] : [])] : [])).map((ip) => `${ip}\t${hostname}`);
    return { ...info, hostGateway: this.hostGateway(), netns: rec.sandbox, hosts };
  }

  private linkLookup(bridgeId: string) {
    return {
      get: (ref: string) => this.containers!.get(ref),
      isRunning: (id: string) => {
        const c = this.containers!.find(id);
        return !!c && this.containers!.isRunning(c);
      },
      bridgeIp: (id: string) => this.ctrs.get(id)?.attachments.find((a) => a.networkId === bridgeId)?.endpoint?.ip,
    };
  }

  private async join(c: ContainerRecord, rec: ContainerNetworking, a: Attachment): Promise<void> {
    const n = this.networks.get(a.networkId);
    if (!n) throw new NotFound(`network ${a.networkId} not found`);
    if (!this.drivers[n.Driver].endpoints) throw new Forbidden(`container cannot be connected to ${n.Name} and another network at once`);
    const pool = this.pools.get(n.Id)!;
    const wanted = a.config.IPAMConfig?.IPv4Address;
    let ip: string;
    if (wanted) {
      pool.reserve(wanted);
      ip = wanted;
    } else ip = pool.allocate();
    let ip6: string | undefined;
    const pool6 = this.pools6.get(n.Id);
    const wanted6 = a.config.IPAMConfig?.IPv6Address;
    try {
      if (pool6 && wanted6) {
        pool6.reserve(wanted6);
        ip6 = wanted6;
      } else if (pool6) ip6 = pool6.allocate();
    } catch (err) {
      pool.release(ip);
      throw err;
    }
    const cfg = n.IPAM.Config[0]!;
    const cfg6 = ipv6Config(n);
    const used = new Set(rec.attachments.map((x) => x.endpoint?.ifname).filter(Boolean));
    let i = 0;
    while (used.has(`eth${i}`)) i++;
    const ep: Endpoint = {
      Id: newId(),
      ip,
      prefix: Number(cfg.Subnet.split('/')[1]),
      gateway: cfg.Gateway,
      mac: a.config.MacAddress || macForIp(ip),
      hostVeth: `veth${randomBytes(4).toString('hex').slice(0, 7)}`,
      ifname: `eth${i}`,
      ...(ip6 && cfg6 ? { ip6, prefix6: Number(cfg6.Subnet.split('/')[1]), gateway6: cfg6.Gateway } : {}),
    };
    try {
      await this.drivers[n.Driver].join(n, ep, { netns: rec.sandbox!, defaultRoute: rec.attachments.find((x) => !this.networks.get(x.networkId)?.Internal) === a });
    } catch (err) {
      pool.release(ip);
      if (ip6) pool6?.release(ip6);
      throw err;
    }
    a.endpoint = ep;
    this.o.events.publish('network', 'connect', n.Id, { container: c.Id, name: n.Name, type: n.Driver });
  }

  /** After the container exited: endpoints, addresses, ports and the sandbox go. */
  async containerStopped(c: ContainerRecord): Promise<void> {
    const rec = this.ctrs.get(c.Id);
    if (!rec) return;
    const hadPorts = rec.ports.length > 0;
    this.proxies.stop(c.Id);
    // The links go with the sandbox anyway; deleting them explicitly (for a namespace another
    // container still shares) costs 15-30 ms of the kernel's unregister wait: not on this path.
    for (const a of rec.attachments) await this.leave(c, a, !!rec.sandbox);
    rec.ports = [];
    if (rec.sandbox) await this.sandboxes.remove(c.Id);
    rec.sandbox = undefined;
    await this.store.saveContainer(rec);
    if (hadPorts) await this.applyFirewall(false);
  }

  private async leave(c: ContainerRecord, a: Attachment, background = false): Promise<void> {
    if (!a.endpoint) return;
    const n = this.networks.get(a.networkId);
    if (n) {
      const gone = this.drivers[n.Driver].leave(n, a.endpoint, this.ctrs.get(c.Id)?.sandbox).catch((err) => this.o.log.warn(`leave ${n.Name}: ${errorMessage(err)}`));
      if (!background) await gone;
      this.pools.get(n.Id)?.release(a.endpoint.ip);
      if (a.endpoint.ip6) this.pools6.get(n.Id)?.release(a.endpoint.ip6);
      this.o.events.publish('network', 'disconnect', n.Id, { container: c.Id, name: n.Name, type: n.Driver });
    }
    a.endpoint = undefined;
  }

  async containerRemoved(c: ContainerRecord): Promise<void> {
    await this.containerStopped(c);
    this.ctrs.delete(c.Id);
    await this.store.removeContainer(c.Id);
  }

  /** docker network connect: recorded for later starts, and joined at once when running. */
  async connect(netRef: string, containerRef: string, config: Attachment['config'] | null | undefined): Promise<void> {
    const n = this.get(netRef);
    const c = this.containers!.get(containerRef);
    const rec = this.record(c);
    const mode = c.HostConfig.NetworkMode || 'default';
    if (!this.drivers[n.Driver].endpoints || mode === 'host' || mode === 'none' || mode.startsWith('container:')) {
      throw new Forbidden(`container cannot be disconnected from host network or connected to host network`);
    }
    if (rec.attachments.some((a) => a.networkId === n.Id)) throw new Forbidden(`endpoint with name ${c.Name.slice(1)} already exists in network ${n.Name}`);
    const a: Attachment = { networkId: n.Id, config: { ...(config ?? {}) } };
    this.checkEndpointConfig(n, a.config);
    if (this.containers!.isRunning(c) && rec.sandbox) {
      const dnsBefore = dnsEndpoint(rec, (id) => this.networks.get(id));
      rec.attachments.push(a);
      try {
        await this.join(c, rec, a);
      } catch (err) {
        rec.attachments.pop();
        throw err;
      }
      await this.store.saveContainer(rec);
      await this.dnsFollows(c, rec, dnsBefore);
    } else {
      rec.attachments.push(a);
      await this.store.saveContainer(rec);
    }
  }

  /** A running container's networks changed: its embedded DNS redirect (and resolv.conf) follow. */
  private async dnsFollows(c: ContainerRecord, rec: ContainerNetworking, before: Endpoint | undefined): Promise<void> {
    if (!rec.sandbox) return;
    if (await this.dns.containerMoved(rec.sandbox, rec, before, (id) => this.networks.get(id))) await rewriteResolvConf(c.ResolvConfPath, c.HostConfig as DnsSettings);
  }

  async disconnect(netRef: string, containerRef: string, _force: boolean): Promise<void> {
    const n = this.get(netRef);
    const c = this.containers!.get(containerRef);
    const rec = this.record(c);
    const a = rec.attachments.find((x) => x.networkId === n.Id);
    if (!a) throw new Forbidden(`container ${c.Id} is not connected to network ${n.Name}`);
    if (!this.drivers[n.Driver].endpoints) throw new Forbidden('container cannot be disconnected from host network or connected to host network');
    const dnsBefore = dnsEndpoint(rec, (id) => this.networks.get(id));
    await this.leave(c, a);
    rec.attachments = rec.attachments.filter((x) => x !== a);
    await this.store.saveContainer(rec);
    if (this.containers!.isRunning(c)) await this.dnsFollows(c, rec, dnsBefore);
  }

  /** The container's networking as the API shows it (inspect, ps). */
  view(c: ContainerRecord): { rec?: ContainerNetworking; networks: { n: NetworkRecord; a: Attachment }[] } {
    const rec = this.ctrs.get(c.Id);
    const networks: { n: NetworkRecord; a: Attachment }[] = [];
    for (const a of rec?.attachments ?? []) {
      const n = this.networks.get(a.networkId);
      if (n) networks.push({ n, a });
    }
    return { rec, networks };
  }

  // ---------------------------------------------------------------- firewall

  private portTaken(self: string, proto: string, ip: string, port: number): boolean {
    for (const c of this.ctrs.values()) {
      if (c.containerId === self) continue;
      if (c.ports.some((p) => p.proto === proto && p.hostPort === port && (p.hostIp === ip || p.hostIp === '0.0.0.0' || ip === '0.0.0.0'))) return true;
    }
    return false;
  }

  private startProxies(rec: ContainerNetworking): void {
    const ep = rec.attachments[0]?.endpoint;
    if (!ep) return;
    for (const p of rec.ports) {
      if (p.proto !== 'tcp' || !(p.hostIp === '0.0.0.0' || p.hostIp.startsWith('127.'))) continue;
      this.proxies.start(rec.containerId, p.hostIp === '0.0.0.0' ? '127.0.0.1' : p.hostIp, p.hostPort, ep.ip, p.containerPort, (err) => this.o.log.warn(`userland proxy ${p.hostIp}:${p.hostPort}: ${errorMessage(err)}`));
    }
  }

  /** Replaces the daemon's nft table with one made from the current state (serialized). */
  private applyFirewall(bridgesChanged: boolean): Promise<void> {
    const run = async () => {
      if (!this.o.iptables) return;
      const bridges = this.list().filter((n) => n.Driver === 'bridge' && n.bridge);
      const ports: PortRule[] = [];
      for (const c of this.ctrs.values()) {
        const a = c.attachments[0];
        const n = a && this.networks.get(a.networkId);
        if (!a?.endpoint || !n?.bridge) continue;
        for (const p of c.ports) ports.push({ ...toRule(p), containerIp: a.endpoint.ip, bridge: n.bridge });
      }
      await applyScript(
        renderRuleset({
          table: this.o.names.table,
          bridges: bridges.map((n) => ({ name: n.bridge!, subnet: n.IPAM.Config[0]!.Subnet, internal: n.Internal, icc: optTrue(n.Options, OPT.icc, true), masquerade: optTrue(n.Options, OPT.masquerade, true) })),
          ports,
          loopbackDnat: !this.o.userlandProxy,
        }),
      );
      if (bridgesChanged) await syncForeignForward(this.o.names.table, bridges.map((n) => n.bridge!));
    };
    this.firewall = this.firewall.catch(() => undefined).then(run);
    return this.firewall;
  }

  private subnets(except?: string): Cidr[] {
    return this.list()
      .filter((n) => n.Id !== except && n.IPAM.Config[0])
      .map((n) => parseCidr(n.IPAM.Config[0]!.Subnet));
  }

  private subnets6(): Cidr6[] {
    return this.list().flatMap((n) => {
      const c = ipv6Config(n);
      return c ? [parseCidr6(c.Subnet)] : [];
    });
  }

  private hasEndpoints(networkId: string): boolean {
    return [...this.ctrs.values()].some((c) => c.attachments.some((a) => a.networkId === networkId && a.endpoint));
  }
}

function toRule(p: PortMapping): Omit<PortRule, 'containerIp' | 'bridge'> {
  return { proto: p.proto, hostIp: p.hostIp, hostPort: p.hostPort, containerPort: p.containerPort };
}

async function ephemeralRange(): Promise<[number, number]> {
  const text = await fs.readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '49153 60999');
  const [a, b] = text.trim().split(/\s+/).map(Number) as [number, number];
  return [a, b];
}

/** A host process already listening on the port would be shadowed by the DNAT rule: refuse, as dockerd's bind fails. */
function assertHostPortFree(p: PortMapping): Promise<void> {
  if (p.proto !== 'tcp') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new Conflict(`Bind for ${p.hostIp}:${p.hostPort} failed: port is already allocated`));
      else resolve();
    });
    s.listen({ host: p.hostIp, port: p.hostPort, exclusive: true }, () => s.close(() => resolve()));
  });
}
