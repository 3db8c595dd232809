// `berth network create|ls|inspect|rm|connect|disconnect|prune`: docker/cli's network commands over
// /networks, with its IPAM flag consolidation, table columns, error aggregation and prune prompt.

import { exactArgs, inspectFormatHelp, listFormatHelp, minArgs, noArgs, type Command, type CommandGroup } from '../command.js';
import { DaemonError } from '../client.js';
import { goTimeString, truncateID } from '../format.js';
import { confirm } from '../prompt.js';
import { StatusError } from '../status-error.js';
import { filterFlag, filtersJSON, printRows } from './containers.js';
import { Inspected, inspectAll } from './inspect.js';
import { naturalCompare } from '../natural-order.js';

interface ApiNetwork {
  Name: string;
  Id: string;
  Created?: string;
  Scope: string;
  Driver: string;
  EnableIPv4?: boolean;
  EnableIPv6?: boolean;
  Internal?: boolean;
  Labels?: Record<string, string> | null;
}

const npath = (id: string): string => `/networks/${encodeURIComponent(id)}`;

/** Go's time.Time.String() of an RFC 3339 time, keeping its fraction without trailing zeros. */
export function goTimeStringRFC3339(value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return '0001-01-01 00:00:00 +0000 UTC';
  const base = goTimeString(Math.floor(ms / 1000));
  const frac = (/\.(\d+)/.exec(value)?.[1] ?? '').slice(0, 9).replace(/0+$/, '');
  return frac ? base.replace(/^(\S+ \S+)/, `$1.${frac}`) : base;
}

export const networkHeader: Record<string, string> = {
  ID: 'NETWORK ID',
  Name: 'NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  IPv4: 'IPV4',
  IPv6: 'IPV6',
  Internal: 'INTERNAL',
  Labels: 'LABELS',
  CreatedAt: 'CREATED AT',
};
const defaultNetworkTableFormat = 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';

function networkRow(n: ApiNetwork, trunc: boolean): Record<string, string> {
  return {
    CreatedAt: goTimeStringRFC3339(n.Created ?? ''),
    Driver: n.Driver,
    ID: trunc ? truncateID(n.Id) : n.Id,
    IPv4: String(n.EnableIPv4 ?? true),
    IPv6: String(n.EnableIPv6 ?? false),
    Internal: String(n.Internal ?? false),
    Labels: Object.entries(n.Labels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    Name: n.Name,
    Scope: n.Scope,
  };
}

function labelsOf(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of values) {
    const eq = l.indexOf('=');
    if (eq < 0) out[l] = '';
    else out[l.slice(0, eq)] = l.slice(eq + 1);
  }
  return out;
}

function ipToBig(ip: string): { v: bigint; bits: number } | undefined {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(ip)) {
    const p = ip.split('.').map(Number);
    if (p.some((x) => x > 255)) return undefined;
    return { v: p.reduce((acc, x) => (acc << 8n) | BigInt(x), 0n), bits: 32 };
  }
  if (!ip.includes(':')) return undefined;
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const hs = head ? head.split(':') : [];
  const ts = tail ? tail.split(':') : [];
  const groups = tail === undefined ? hs : [...hs, ...Array(8 - hs.length - ts.length).fill('0'), ...ts];
  if (groups.length !== 8) return undefined;
  return { v: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n), bits: 128 };
}

/** Whether ip (or the network of a CIDR) lies inside the CIDR subnet. */
function subnetContains(subnet: string, ip: string): boolean {
  const [net, lenText] = subnet.split('/');
  const n = ipToBig(net ?? '');
  const a = ipToBig(ip.split('/')[0]!);
  if (!n || !a || n.bits !== a.bits) return false;
  const len = BigInt(Number(lenText ?? n.bits));
  const shift = BigInt(n.bits) - len;
  return n.v >> shift === a.v >> shift;
}

interface IpamConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

/** docker/cli's consolidateIpam: each gateway, range and aux address goes with the subnet holding it. */
export function consolidateIpam(subnets: string[], ranges: string[], gateways: string[], aux: Record<string, string>): IpamConfig[] {
  if (subnets.length < ranges.length || subnets.length < gateways.length) {
    throw new StatusError('every ip-range or gateway must have a corresponding subnet', 1);
  }
  const cfgs: IpamConfig[] = [];
  for (const s of subnets) {
    for (const c of cfgs) {
      if (subnetContains(c.Subnet!, s) || subnetContains(s, c.Subnet!)) throw new StatusError(`multiple overlapping subnet configuration is not supported`, 1);
    }
    cfgs.push({ Subnet: s, AuxiliaryAddresses: {} });
  }
  for (const r of ranges) {
    let match = false;
    for (const c of cfgs) {
      if (!subnetContains(c.Subnet!, r)) continue;
      if (c.IPRange) throw new StatusError(`cannot configure multiple ranges (${r}, ${c.IPRange}) on the same subnet (${c.Subnet})`, 1);
      c.IPRange = r;
      match = true;
    }
    if (!match) throw new StatusError(`no matching subnet for range ${r}`, 1);
  }
  for (const g of gateways) {
    let match = false;
    for (const c of cfgs) {
      if (!subnetContains(c.Subnet!, g)) continue;
      if (c.Gateway) throw new StatusError(`cannot configure multiple gateways (${g}, ${c.Gateway}) for the same subnet (${c.Subnet})`, 1);
      c.Gateway = g;
      match = true;
    }
    if (!match) throw new StatusError(`no matching subnet for gateway ${g}`, 1);
  }
  for (const [key, addr] of Object.entries(aux)) {
    let match = false;
    for (const c of cfgs) {
      if (!subnetContains(c.Subnet!, addr)) continue;
      c.AuxiliaryAddresses![key] = addr;
      match = true;
    }
    if (!match) throw new StatusError(`no matching subnet for aux-address ${addr}`, 1);
  }
  return cfgs;
}

const createCommand: Command = {
  name: 'create',
  usage: '[OPTIONS] NETWORK',
  short: 'Create a network',
  args: exactArgs(1),
  flags: [
    { name: 'attachable', kind: 'bool', help: 'Enable manual container attachment' },
    { name: 'aux-address', kind: 'map', help: 'Auxiliary IPv4 or IPv6 addresses used by Network driver', defaultText: 'map[]' },
    { name: 'config-from', kind: 'string', help: 'The network from which to copy the configuration' },
    { name: 'config-only', kind: 'bool', help: 'Create a configuration only network' },
    { name: 'driver', short: 'd', kind: 'string', help: 'Driver to manage the Network', default: 'bridge' },
    { name: 'gateway', kind: 'list', typeName: 'strings', help: 'IPv4 or IPv6 Gateway for the master subnet' },
    { name: 'ingress', kind: 'bool', help: 'Create swarm routing-mesh network' },
    { name: 'internal', kind: 'bool', help: 'Restrict external access to the network' },
    { name: 'ip-range', kind: 'list', typeName: 'strings', help: 'Allocate container ip from a sub-range' },
    { name: 'ipam-driver', kind: 'string', help: 'IP Address Management Driver', default: 'default' },
    { name: 'ipam-opt', kind: 'map', help: 'Set IPAM driver specific options', defaultText: 'map[]' },
    { name: 'ipv4', kind: 'bool', help: 'Enable or disable IPv4 address assignment', default: true },
    { name: 'ipv6', kind: 'bool', help: 'Enable or disable IPv6 address assignment' },
    { name: 'label', kind: 'list', help: 'Set metadata on a network' },
    { name: 'opt', short: 'o', kind: 'map', help: 'Set driver specific options', defaultText: 'map[]' },
    { name: 'scope', kind: 'string', help: "Control the network's scope" },
    { name: 'subnet', kind: 'list', typeName: 'strings', help: 'Subnet in CIDR format that represents a network segment' },
  ],
  async run(ctx, flags) {
    const split = (name: string): string[] => flags.list(name).flatMap((v) => v.split(','));
    const ipam = consolidateIpam(split('subnet'), split('ip-range'), split('gateway'), flags.map('aux-address'));
    const body: Record<string, unknown> = {
      Name: flags.args[0],
      Driver: flags.string('driver'),
      Options: flags.map('opt'),
      IPAM: { Driver: flags.string('ipam-driver'), Config: ipam, Options: flags.map('ipam-opt') },
      Internal: flags.bool('internal'),
      Attachable: flags.bool('attachable'),
      Ingress: flags.bool('ingress'),
      Scope: flags.string('scope'),
      ConfigOnly: flags.bool('config-only'),
      Labels: labelsOf(flags.list('label')),
    };
    // Only flags the user set are sent, so the daemon's defaults apply otherwise.
    if (flags.changed('ipv6')) body.EnableIPv6 = flags.bool('ipv6');
    if (flags.changed('ipv4')) body.EnableIPv4 = flags.bool('ipv4');
    if (flags.string('config-from')) body.ConfigFrom = { Network: flags.string('config-from') };
    const r = await ctx.client().json<{ Id: string; Warning?: string }>('POST', '/networks/create', { body });
    if (r.Warning) ctx.stderr.write(`WARNING: ${r.Warning}\n`);
    ctx.stdout.write(r.Id + '\n');
  },
};

const lsCommand: Command = {
  name: 'ls',
  usage: '[OPTIONS]',
  short: 'List networks',
  args: noArgs,
  flags: [
    { ...filterFlag, help: 'Provide filter values (e.g. "driver=bridge")' },
    { name: 'format', kind: 'string', help: listFormatHelp },
    { name: 'no-trunc', kind: 'bool', help: 'Do not truncate the output' },
    { name: 'quiet', short: 'q', kind: 'bool', help: 'Only display network IDs' },
  ],
  async run(ctx, flags) {
    const list = await ctx.client().json<ApiNetwork[]>('GET', '/networks', { query: { filters: filtersJSON(flags.list('filter')) } });
    list.sort((a, b) => naturalCompare(a.Name, b.Name));
    const format = flags.bool('quiet') ? '{{.ID}}' : flags.string('format') || 'table';
    printRows(ctx, format, list.map((n) => networkRow(n, !flags.bool('no-trunc'))), networkHeader, defaultNetworkTableFormat, {
      goType: '*network.networkContext',
    });
  },
};

const inspectCommand: Command = {
  name: 'inspect',
  usage: '[OPTIONS] NETWORK [NETWORK...]',
  short: 'Display detailed information on one or more networks',
  args: minArgs(1),
  flags: [
    { name: 'format', short: 'f', kind: 'string', help: inspectFormatHelp },
    { name: 'verbose', short: 'v', kind: 'bool', help: 'Verbose output for diagnostics' },
  ],
  async run(ctx, flags) {
    await inspectAll(ctx, flags.args, flags.string('format'), async (name) =>
      new Inspected('network', await ctx.client().json('GET', npath(name), { query: { verbose: flags.bool('verbose') || undefined } })),
    );
  },
};

const rmCommand: Command = {
  name: 'rm',
  usage: 'NETWORK [NETWORK...]',
  short: 'Remove one or more networks',
  args: minArgs(1),
  flags: [{ name: 'force', short: 'f', kind: 'bool', help: 'Do not error if the network does not exist' }],
  async run(ctx, flags) {
    let failed = false;
    for (const name of flags.args) {
      try {
        (await ctx.client().request('DELETE', npath(name))).resume();
        ctx.stdout.write(name + '\n');
      } catch (err) {
        if (flags.bool('force') && err instanceof DaemonError && err.statusCode === 404) continue;
        ctx.stderr.write((err as Error).message + '\n');
        failed = true;
      }
    }
    if (failed) throw new StatusError('exit status 1', 1);
  },
};

const connectCommand: Command = {
  name: 'connect',
  usage: '[OPTIONS] NETWORK CONTAINER',
  short: 'Connect a container to a network',
  args: exactArgs(2),
  flags: [
    { name: 'alias', kind: 'list', typeName: 'strings', help: 'Add network-scoped alias for the container' },
    { name: 'driver-opt', kind: 'list', typeName: 'strings', help: 'driver options for the network' },
    { name: 'gw-priority', kind: 'int', help: 'Highest gw-priority provides the default gateway. Accepts positive and negative values.' },
    { name: 'ip', kind: 'string', help: 'IPv4 address (e.g., "172.30.100.104")' },
    { name: 'ip6', kind: 'string', help: 'IPv6 address (e.g., "2001:db8::33")' },
    { name: 'link', kind: 'list', help: 'Add link to another container' },
    { name: 'link-local-ip', kind: 'list', typeName: 'strings', help: 'Add a link-local address for the container' },
  ],
  async run(ctx, flags) {
    const [network, container] = flags.args as [string, string];
    const driverOpts = labelsOf(flags.list('driver-opt').flatMap((v) => v.split(',')));
    const endpoint: Record<string, unknown> = {
      IPAMConfig: {
        IPv4Address: flags.string('ip') || undefined,
        IPv6Address: flags.string('ip6') || undefined,
        LinkLocalIPs: flags.list('link-local-ip').flatMap((v) => v.split(',')),
      },
      Links: flags.list('link'),
      Aliases: flags.list('alias').flatMap((v) => v.split(',')),
      DriverOpts: driverOpts,
      GwPriority: flags.number('gw-priority'),
    };
    (await ctx.client().request('POST', `${npath(network)}/connect`, { body: { Container: container, EndpointConfig: endpoint } })).resume();
  },
};

const disconnectCommand: Command = {
  name: 'disconnect',
  usage: '[OPTIONS] NETWORK CONTAINER',
  short: 'Disconnect a container from a network',
  args: exactArgs(2),
  flags: [{ name: 'force', short: 'f', kind: 'bool', help: 'Force the container to disconnect from a network' }],
  async run(ctx, flags) {
    const [network, container] = flags.args as [string, string];
    (await ctx.client().request('POST', `${npath(network)}/disconnect`, { body: { Container: container, Force: flags.bool('force') } })).resume();
  },
};

export const pruneFilterFlag = { name: 'filter', kind: 'list' as const, typeName: 'filter', help: 'Provide filter values (e.g. "until=<timestamp>")' };
export const pruneForceFlag = { name: 'force', short: 'f', kind: 'bool' as const, help: 'Do not prompt for confirmation' };

/** POST /networks/prune; returns the text docker prints ("" when nothing went). */
export async function pruneNetworks(ctx: Parameters<Command['run']>[0], filters: readonly string[]): Promise<string> {
  const r = await ctx.client().json<{ NetworksDeleted: string[] | null }>('POST', '/networks/prune', { query: { filters: filtersJSON(filters) } });
  if (!r.NetworksDeleted?.length) return '';
  return 'Deleted Networks:\n' + r.NetworksDeleted.map((n) => n + '\n').join('');
}

export const networkPruneCommand: Command = {
  name: 'prune',
  usage: '[OPTIONS]',
  short: 'Remove all unused networks',
  args: noArgs,
  flags: [pruneFilterFlag, pruneForceFlag],
  async run(ctx, flags) {
    if (!flags.bool('force')) {
      ctx.stdout.write('WARNING! This will remove all custom networks not used by at least one container.\n');
      if (!(await confirm(ctx))) return;
    }
    const out = await pruneNetworks(ctx, flags.list('filter'));
    if (out) ctx.stdout.write(out + '\n');
  },
};

export const networkGroup: CommandGroup = {
  name: 'network',
  short: 'Manage networks',
  commands: [connectCommand, createCommand, disconnectCommand, inspectCommand, lsCommand, networkPruneCommand, rmCommand],
};
