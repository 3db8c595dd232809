// Port publishing and exposing as the docker CLI reads them: -p [ip:][hostPort:]containerPort[/proto]
// with ranges, the long form -p published=8080,target=80,protocol=udp, and --expose ranges.
// The result is the create body's ExposedPorts set and HostConfig.PortBindings map.

export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

export interface PortSpecs {
  exposed: Record<string, Record<string, never>>;
  bindings: Record<string, PortBinding[]>;
}

/** The long syntax (name=value pairs) rewritten to the short one, as convertToStandardNotation does. */
export function toStandardNotation(publish: string): string {
  if (!publish.includes('=')) return publish;
  const params: Record<string, string> = { protocol: 'tcp' };
  for (const param of publish.split(',')) {
    const eq = param.indexOf('=');
    if (eq <= 0) throw new Error(`invalid publish opts format (should be name=value but got '${param}')`);
    params[param.slice(0, eq)] = param.slice(eq + 1);
  }
  return `${params.published ?? ''}:${params.target ?? ''}/${params.protocol}`;
}

function parseRange(s: string): [number, number] {
  const dash = s.indexOf('-');
  const parse = (p: string): number => {
    if (!/^\d+$/.test(p)) throw new Error(`invalid port: ${s}`);
    const n = Number(p);
    if (n > 65535) throw new Error(`invalid port: ${s}`);
    return n;
  };
  if (dash === -1) {
    const n = parse(s);
    return [n, n];
  }
  const start = parse(s.slice(0, dash));
  const end = parse(s.slice(dash + 1));
  if (end < start) throw new Error(`invalid range specified for port: ${s}`);
  return [start, end];
}

function checkProto(proto: string): string {
  const p = proto.toLowerCase();
  if (p !== 'tcp' && p !== 'udp' && p !== 'sctp') throw new Error(`invalid proto: ${proto}`);
  return p;
}

/** Splits "ip:host:container" where ip may be a bracketed IPv6 address. */
function splitParts(raw: string): [string, string, string] {
  let ip = '';
  let rest = raw;
  if (raw.startsWith('[')) {
    const close = raw.indexOf(']');
    if (close !== -1) {
      ip = raw.slice(1, close);
      rest = raw.slice(close + 1);
      if (rest.startsWith(':')) rest = rest.slice(1);
      const [h, c] = rest.split(':');
      return c === undefined ? [ip, '', h ?? ''] : [ip, h ?? '', c];
    }
  }
  const parts = rest.split(':');
  if (parts.length === 1) return ['', '', parts[0]!];
  if (parts.length === 2) return ['', parts[0]!, parts[1]!];
  const container = parts.pop()!;
  const host = parts.pop()!;
  return [parts.join(':'), host, container];
}

function validIP(ip: string): boolean {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return ip.split('.').every((o) => Number(o) <= 255);
  return ip.includes(':') && /^[0-9a-fA-F:.]+$/.test(ip);
}

/** nat.ParsePortSpecs over the user's -p values (already in standard notation). */
export function parsePortSpecs(specs: readonly string[]): PortSpecs {
  const exposed: PortSpecs['exposed'] = {};
  const bindings: PortSpecs['bindings'] = {};
  for (const raw of specs) {
    const slash = raw.lastIndexOf('/');
    const addrPart = slash === -1 ? raw : raw.slice(0, slash);
    const proto = checkProto(slash === -1 ? 'tcp' : raw.slice(slash + 1));
    const [ip, hostPort, containerPort] = splitParts(addrPart);
    if (ip !== '' && !validIP(ip)) throw new Error(`invalid IP address: ${ip}`);
    if (containerPort === '') throw new Error(`no port specified: ${raw}<empty>`);
    let cStart: number;
    let cEnd: number;
    try {
      [cStart, cEnd] = parseRange(containerPort);
    } catch {
      throw new Error(`invalid containerPort: ${containerPort}`);
    }
    let hStart = 0;
    let hEnd = 0;
    if (hostPort !== '') {
      try {
        [hStart, hEnd] = parseRange(hostPort);
      } catch {
        throw new Error(`invalid hostPort: ${hostPort}`);
      }
      // A host range with a single container port means "any free port in the range".
      if (hEnd - hStart !== cEnd - cStart && cEnd !== cStart) {
        throw new Error(`invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`);
      }
    }
    for (let i = 0; i <= cEnd - cStart; i++) {
      const port = `${cStart + i}/${proto}`;
      exposed[port] = {};
      let hp = hostPort;
      if (hostPort !== '' && cEnd !== cStart) hp = String(hStart + i);
      else if (hostPort !== '' && hEnd !== hStart) hp = `${hStart}-${hEnd}`;
      (bindings[port] ??= []).push({ HostIp: ip, HostPort: hp });
    }
  }
  return { exposed, bindings };
}

/** --expose: "port[/proto]" or "start-end[/proto]" → the ports it names. */
export function parseExpose(value: string): string[] {
  const slash = value.lastIndexOf('/');
  const proto = slash === -1 ? 'tcp' : value.slice(slash + 1);
  const range = slash === -1 ? value : value.slice(0, slash);
  let start: number;
  let end: number;
  try {
    checkProto(proto);
    [start, end] = parseRange(range);
  } catch (err) {
    throw new Error(`invalid range format for --expose: ${(err as Error).message}`);
  }
  const out: string[] = [];
  for (let p = start; p <= end; p++) out.push(`${p}/${proto.toLowerCase()}`);
  return out;
}
