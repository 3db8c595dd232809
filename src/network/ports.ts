// Published ports: HostConfig.PortBindings and -P (PublishAllPorts over ExposedPorts) resolved to
// concrete host ports at start (ranges and ephemeral ports picked here), and the API's views of
// them (inspect's NetworkSettings.Ports, ps's Ports). Pure apart from the injected checks.
import { Conflict, InvalidParameter } from '../lib/errors.js';
import { isIp } from './ipam/cidr.js';
import type { PortMapping } from './model.js';

export type PortBindings = Record<string, { HostIp?: string; HostPort?: string }[] | null> | null | undefined;

export interface PortChecks {
  /** Taken by this daemon or by a socket on the host. */
  taken(proto: 'tcp' | 'udp', hostIp: string, port: number): boolean;
  ephemeralRange: [number, number];
}

export function parsePortKey(key: string): { port: number; proto: 'tcp' | 'udp' } {
  const m = /^(\d+)(?:\/(tcp|udp|sctp))?$/.exec(key);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) throw new InvalidParameter(`invalid port specification: "${key}"`);
  if (m[2] === 'sctp') throw new InvalidParameter('sctp ports are not supported');
  return { port: Number(m[1]), proto: (m[2] ?? 'tcp') as 'tcp' | 'udp' };
}

/** The checks `docker create` gets (so a bad -p fails before start). */
export function validatePortBindings(b: PortBindings): void {
  for (const [key, list] of Object.entries(b ?? {})) {
    parsePortKey(key);
    for (const x of list ?? []) {
      if (x.HostIp && !isIp(x.HostIp)) throw new InvalidParameter(`invalid IP address: ${x.HostIp}`);
      if (x.HostPort && !/^\d+(-\d+)?$/.test(x.HostPort)) throw new InvalidParameter(`invalid port specification: "${x.HostPort}"`);
    }
  }
}

export function resolvePorts(bindings: PortBindings, publishAll: boolean, exposed: Record<string, unknown> | null | undefined, checks: PortChecks): PortMapping[] {
  const wanted = new Map<string, { HostIp?: string; HostPort?: string }[]>();
  for (const [k, list] of Object.entries(bindings ?? {})) if (list?.length) wanted.set(k, list);
  if (publishAll) for (const k of Object.keys(exposed ?? {})) if (!wanted.has(k)) wanted.set(normKey(k), [{}]);
  const out: PortMapping[] = [];
  const mine = (proto: string, ip: string, port: number) => out.some((m) => m.proto === proto && m.hostPort === port && (m.hostIp === ip || m.hostIp === '0.0.0.0' || ip === '0.0.0.0'));
  const free = (proto: 'tcp' | 'udp', ip: string, port: number) => !mine(proto, ip, port) && !checks.taken(proto, ip, port);
  for (const [key, list] of wanted) {
    const { port, proto } = parsePortKey(key);
    for (const b of list) {
      const hostIp = b.HostIp || '0.0.0.0';
      let lo: number;
      let hi: number;
      const hp = b.HostPort ?? '';
      if (hp === '' || hp === '0') [lo, hi] = checks.ephemeralRange;
      else {
        const [a, z] = hp.split('-').map(Number) as [number, number | undefined];
        lo = a;
        hi = z ?? a;
        if (lo < 1 || hi > 65535 || hi < lo) throw new InvalidParameter(`invalid port specification: "${hp}"`);
      }
      let chosen: number | undefined;
      for (let p = lo; p <= hi; p++) {
        if (free(proto, hostIp, p)) {
          chosen = p;
          break;
        }
      }
      if (chosen === undefined) {
        if (lo === hi) throw new Conflict(`Bind for ${hostIp}:${lo} failed: port is already allocated`);
        throw new Conflict(`Bind for ${hostIp}:${hp || `${lo}-${hi}`} failed: no free port in range`);
      }
      out.push({ proto, containerPort: port, hostIp, hostPort: chosen });
    }
  }
  return out;
}

function normKey(k: string): string {
  return k.includes('/') ? k : `${k}/tcp`;
}

/** inspect's NetworkSettings.Ports: every exposed or published port, null when not published. */
export function portsView(mappings: PortMapping[], exposed: Record<string, unknown> | null | undefined): Record<string, { HostIp: string; HostPort: string }[] | null> {
  const out: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  for (const k of Object.keys(exposed ?? {})) out[normKey(k)] = null;
  for (const m of mappings) {
    const k = `${m.containerPort}/${m.proto}`;
    (out[k] ??= []).push({ HostIp: m.hostIp, HostPort: String(m.hostPort) });
  }
  return out;
}

/** ps's Ports: published ones with IP and PublicPort, exposed-only ones without. */
export function summaryPorts(mappings: PortMapping[], exposed: Record<string, unknown> | null | undefined): { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[] {
  const out: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[] = mappings.map((m) => ({ IP: m.hostIp, PrivatePort: m.containerPort, PublicPort: m.hostPort, Type: m.proto }));
  for (const k of Object.keys(exposed ?? {})) {
    const { port, proto } = parsePortKey(k);
    if (!mappings.some((m) => m.containerPort === port && m.proto === proto)) out.push({ PrivatePort: port, Type: proto });
  }
  return out;
}
