// Legacy links (`--link name[:alias]`): how they are written (`name:alias`, or `/name:/self/alias`
// as inspect shows them), their checks at create and start, and on the default bridge what they
// give the linking container: an /etc/hosts line and the `ALIAS_PORT_80_TCP=tcp://IP:80` family
// of variables, as Docker's.
import { Conflict, InvalidParameter, errorMessage } from '../../lib/errors.js';

export interface Link {
  /** The linked container's name or id. */
  target: string;
  alias: string;
}

export function parseLink(spec: string): Link {
  const i = spec.indexOf(':');
  const target = (i < 0 ? spec : spec.slice(0, i)).replace(/^\//, '');
  const alias = i < 0 ? target : spec.slice(i + 1).split('/').pop()!;
  return { target, alias: alias || target };
}

/** What the linking container learns about a linked one. */
export interface LinkedContainer {
  alias: string;
  /** Name without the leading '/'. */
  name: string;
  hostname: string;
  ip: string;
  /** Config.ExposedPorts keys: `80/tcp`. */
  exposedPorts: string[];
  env: string[];
}

/** `IP\talias hostname [name]`: the name only when the alias differs from it. */
export function linkHostsLine(l: LinkedContainer): string {
  const names = [l.alias, l.hostname];
  if (l.alias !== l.name) names.push(l.name);
  return `${l.ip}\t${names.join(' ')}`;
}

/** Docker's link variables; `parentName` is the linking container's name without '/'. */
export function linkEnv(parentName: string, l: LinkedContainer): string[] {
  const prefix = l.alias.toUpperCase().replace(/-/g, '_');
  const ports = l.exposedPorts
    .map((p) => {
      const [port, proto = 'tcp'] = p.split('/');
      return { port: Number(port), proto: proto.toLowerCase() };
    })
    .filter((p) => Number.isInteger(p.port) && p.port > 0)
    // Lowest port first; TCP before UDP on the same port. The first is the default `_PORT`.
    .sort((a, b) => a.port - b.port || (a.proto === 'tcp' ? -1 : b.proto === 'tcp' ? 1 : a.proto.localeCompare(b.proto)));
  const out: string[] = [];
  if (ports[0]) out.push(`${prefix}_PORT=${ports[0].proto}://${l.ip}:${ports[0].port}`);
  for (const p of ports) {
    const key = `${prefix}_PORT_${p.port}_${p.proto.toUpperCase()}`;
    out.push(`${key}=${p.proto}://${l.ip}:${p.port}`, `${key}_ADDR=${l.ip}`, `${key}_PORT=${p.port}`, `${key}_PROTO=${p.proto}`);
  }
  out.push(`${prefix}_NAME=/${parentName}/${l.alias}`);
  for (const e of l.env) {
    const eq = e.indexOf('=');
    if (eq < 0) continue;
    const k = e.slice(0, eq);
    // Docker leaves these out: they describe the linked image, not a service.
    if (k === 'HOME' || k === 'PATH') continue;
    out.push(`${prefix}_ENV_${k}=${e.slice(eq + 1)}`);
  }
  return out;
}

/** What resolving links needs from the daemon: containers by name or id, and their addresses. */
export interface LinkLookup {
  /** Throws NotFound for an unknown name or id. */
  get(ref: string): { Id: string; Name: string; Config: { Hostname?: string; ExposedPorts?: Record<string, unknown> | null; Env?: string[] | null }; HostConfig: { NetworkMode?: string } };
  isRunning(id: string): boolean;
  /** The linked container's address on the default bridge, when it has one. */
  bridgeIp(id: string): string | undefined;
}

/** At create, as dockerd's registerLinks: every target exists and neither side uses the host's network. */
export function checkLinks(links: string[], ownMode: string | undefined, lookup: Pick<LinkLookup, 'get'>): void {
  if (!links.length) return;
  const hostNet = 'conflicting options: host type networking can\'t be used with links. This would result in undefined behavior';
  if (ownMode === 'host') throw new InvalidParameter(hostNet);
  for (const spec of links) {
    const { target } = parseLink(spec);
    let child;
    try {
      child = lookup.get(target);
    } catch (err) {
      throw new InvalidParameter(`could not get container for ${target}: ${errorMessage(err)}`);
    }
    if (child.HostConfig.NetworkMode === 'host') throw new InvalidParameter(hostNet);
  }
}

/** At start on the default bridge: the linked containers must be running. */
export function resolveLegacyLinks(parentName: string, links: string[], lookup: LinkLookup): { hosts: string[]; env: string[] } {
  const hosts: string[] = [];
  const env: string[] = [];
  for (const spec of links) {
    const { target, alias } = parseLink(spec);
    const child = lookup.get(target);
    if (!lookup.isRunning(child.Id)) throw new Conflict(`Cannot link to a non running container: ${child.Name} AS /${parentName}/${alias}`);
    const ip = lookup.bridgeIp(child.Id);
    if (!ip) continue;
    const l: LinkedContainer = {
      alias,
      name: child.Name.replace(/^\//, ''),
      hostname: child.Config.Hostname || child.Id.slice(0, 12),
      ip,
      exposedPorts: Object.keys(child.Config.ExposedPorts ?? {}),
      env: child.Config.Env ?? [],
    };
    hosts.push(linkHostsLine(l));
    env.push(...linkEnv(parentName, l));
  }
  return { hosts, env };
}

