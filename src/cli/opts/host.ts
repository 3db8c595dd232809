// Single-value host options of docker run/create, each parsed and checked as docker/cli's opts
// package does: --ulimit, --device, --device-*-bps/iops, --blkio-weight-device, --restart,
// --sysctl, --add-host, --dns, --attach, --gpus and --network's advanced syntax.

import { ramInBytes } from '../units.js';

export interface Ulimit {
  Name: string;
  Hard: number;
  Soft: number;
}

const ulimitNames = new Set([
  'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack',
]);

function goInt(s: string, what: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax${what}`);
  return Number(s);
}

/** units.ParseUlimit: "nofile=1024[:2048]". */
export function parseUlimit(val: string): Ulimit {
  const eq = val.indexOf('=');
  if (eq === -1) throw new Error(`invalid ulimit argument: ${val}`);
  const name = val.slice(0, eq);
  if (!ulimitNames.has(name)) throw new Error(`invalid ulimit type: ${name}`);
  const limits = val.slice(eq + 1).split(':');
  if (limits.length > 2) throw new Error(`too many limit value arguments - ${val.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  const soft = goInt(limits[0]!, '');
  let hard = soft;
  if (limits.length === 2) {
    hard = goInt(limits[1]!, '');
    if (soft > hard) throw new Error(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  }
  return { Name: name, Hard: hard, Soft: soft };
}

/** UlimitOpt keeps one entry per name (the last wins) and lists them sorted by name. */
export function ulimitList(values: readonly Ulimit[]): Ulimit[] {
  const byName = new Map<string, Ulimit>();
  for (const u of values) byName.set(u.Name, u);
  return [...byName.values()].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
}

export interface DeviceMapping {
  PathOnHost: string;
  PathInContainer: string;
  CgroupPermissions: string;
}

function validDeviceMode(mode: string): boolean {
  if (mode === '') return false;
  const seen = new Set<string>();
  for (const c of mode) {
    if (!'rwm'.includes(c) || seen.has(c)) return false;
    seen.add(c);
  }
  return true;
}

function cleanPath(p: string): string {
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
    } else out.push(seg);
  }
  const s = (abs ? '/' : '') + out.join('/');
  return s || (abs ? '/' : '.');
}

/** validateLinuxPath: "[host:]container[:mode]" with an absolute container path, cleaned. */
function validateDevicePath(val: string): string {
  if ((val.match(/:/g) ?? []).length > 2) throw new Error(`bad format for path: ${val}`);
  const split = val.split(':');
  if (split[0] === '') throw new Error(`bad format for path: ${val}`);
  let containerPath: string;
  let out: string;
  if (split.length === 1) {
    containerPath = split[0]!;
    out = cleanPath(containerPath);
  } else if (split.length === 2) {
    if (validDeviceMode(split[1]!)) {
      containerPath = split[0]!;
      out = `${cleanPath(containerPath)}:${split[1]}`;
    } else {
      containerPath = split[1]!;
      out = `${split[0]}:${cleanPath(containerPath)}`;
    }
  } else {
    containerPath = split[1]!;
    if (!validDeviceMode(split[2]!)) throw new Error(`bad mode specified: ${split[2]}`);
    out = val;
  }
  if (!containerPath.startsWith('/')) throw new Error(`${containerPath} is not an absolute path`);
  return out;
}

/** --device host[:container][:mode] for a Linux daemon; the mode defaults to rwm. */
export function parseDevice(device: string): DeviceMapping {
  const arr = validateDevicePath(device).split(':');
  let dst = '';
  let permissions = 'rwm';
  if (arr.length === 3) permissions = arr[2]!;
  if (arr.length >= 2) {
    if (validDeviceMode(arr[1]!)) permissions = arr[1]!;
    else dst = arr[1]!;
  }
  const src = arr[0]!;
  return { PathOnHost: src, PathInContainer: dst || src, CgroupPermissions: permissions };
}

export interface ThrottleDevice {
  Path: string;
  Rate: number;
}

function splitDeviceValue(val: string): [string, string] {
  const colon = val.lastIndexOf(':');
  if (colon === -1) throw new Error(`bad format: ${val}`);
  const path = val.slice(0, colon);
  if (!path.startsWith('/dev/')) throw new Error(`bad format for device path: ${val}`);
  return [path, val.slice(colon + 1)];
}

/** --device-read-bps /dev/sda:1mb */
export function parseThrottleBps(val: string): ThrottleDevice {
  const [path, rate] = splitDeviceValue(val);
  let n: number;
  try {
    n = ramInBytes(rate);
  } catch {
    throw new Error(`invalid rate for device: ${val}. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb`);
  }
  return { Path: path, Rate: n };
}

/** --device-read-iops /dev/sda:1000 */
export function parseThrottleIOps(val: string): ThrottleDevice {
  const [path, rate] = splitDeviceValue(val);
  if (!/^\d+$/.test(rate)) throw new Error(`invalid rate for device: ${val}. The correct format is <device-path>:<number>. Number must be a positive integer`);
  return { Path: path, Rate: Number(rate) };
}

/** --blkio-weight-device /dev/sda:500 */
export function parseWeightDevice(val: string): { Path: string; Weight: number } {
  const [path, w] = splitDeviceValue(val);
  const n = Number(w);
  if (!/^\d+$/.test(w) || (n !== 0 && (n < 10 || n > 1000))) throw new Error(`invalid weight for device: ${val}`);
  return { Path: path, Weight: n };
}

export interface RestartPolicy {
  Name: string;
  MaximumRetryCount: number;
}

/** opts.ParseRestartPolicy: "no", "always", "unless-stopped", "on-failure[:N]". */
export function parseRestartPolicy(policy: string): RestartPolicy {
  if (policy === '') return { Name: '', MaximumRetryCount: 0 };
  const colon = policy.indexOf(':');
  const name = colon === -1 ? policy : policy.slice(0, colon);
  const count = colon === -1 ? '' : policy.slice(colon + 1);
  if (colon !== -1 && name === '') throw new Error('invalid restart policy format: no policy provided before colon');
  let max = 0;
  if (count !== '') {
    if (!/^[+-]?\d+$/.test(count)) throw new Error('invalid restart policy format: maximum retry count must be an integer');
    max = Number(count);
  }
  return { Name: name, MaximumRetryCount: max };
}

// The IPC sysctls Docker lets a container set, plus the namespaced net.* and fs.mqueue.* trees.
const sysctlExact = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);
const sysctlPrefixes = ['net.', 'fs.mqueue.'];

/** opts.ValidateSysctl: only namespaced sysctls are accepted. */
export function validateSysctl(val: string): string {
  const eq = val.indexOf('=');
  if (eq > 0) {
    const key = val.slice(0, eq);
    if (sysctlExact.has(key) || sysctlPrefixes.some((p) => key.startsWith(p))) return val;
  }
  throw new Error(`sysctl '${val}' is not allowed`);
}

/** opts.ValidateExtraHost: "host:ip" or "host=ip", with "host-gateway" allowed as the address. */
export function validateExtraHost(val: string): string {
  let sep = val.indexOf('=');
  if (sep === -1) sep = val.indexOf(':');
  if (sep <= 0) throw new Error(`bad format for add-host: ${JSON.stringify(val)}`);
  let ip = val.slice(sep + 1);
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  if (ip !== 'host-gateway' && !isIP(ip)) throw new Error(`invalid IP address in add-host: ${JSON.stringify(ip)}`);
  return val;
}

export function isIP(s: string): boolean {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) return s.split('.').every((o) => Number(o) <= 255);
  return s.includes(':') && /^[0-9a-fA-F:.]+(%\w+)?$/.test(s);
}

/** opts.ValidateIPAddress (--dns). */
export function validateIPAddress(val: string): string {
  const v = val.trim();
  if (isIP(v)) return v;
  throw new Error(`IP address is not correctly formatted: ${val}`);
}

/** -a/--attach stdin|stdout|stderr (case-insensitive). */
export function validateAttach(val: string): string {
  const s = val.toLowerCase();
  if (s === 'stdin' || s === 'stdout' || s === 'stderr') return s;
  throw new Error('valid streams are STDIN, STDOUT and STDERR');
}

export interface DeviceRequest {
  Driver: string;
  Count: number;
  DeviceIDs: string[] | null;
  Capabilities: string[][] | null;
  Options: Record<string, string> | null;
}

/** --gpus all | count=N,device=ids,capabilities=c,driver=d */
export function parseGpus(val: string): DeviceRequest {
  const req: DeviceRequest = { Driver: '', Count: 0, DeviceIDs: null, Capabilities: null, Options: null };
  const caps: string[] = ['gpu'];
  for (const field of val.split(',')) {
    const eq = field.indexOf('=');
    const k = eq === -1 ? field : field.slice(0, eq);
    const v = eq === -1 ? '' : field.slice(eq + 1);
    if (eq === -1 && k === 'all') req.Count = -1;
    else if (eq === -1 && /^\d+$/.test(k)) req.Count = Number(k);
    else if (k === 'count') req.Count = v === 'all' ? -1 : Number(v);
    else if (k === 'device') req.DeviceIDs = v.split(',');
    else if (k === 'driver') req.Driver = v;
    else if (k === 'capabilities') caps.push(...v.split(','));
    else if (k === 'options') req.Options = Object.fromEntries(v.split(',').map((o) => o.split('=') as [string, string]));
    else throw new Error(`unexpected key '${k}' in '${field}'`);
  }
  req.Capabilities = [caps];
  return req;
}

export interface NetworkAttachment {
  Target: string;
  Aliases: string[];
  DriverOpts: Record<string, string>;
  Links: string[];
  IPv4Address: string;
  IPv6Address: string;
  LinkLocalIPs: string[];
  MacAddress: string;
  GwPriority: number;
}

/** --network NAME, or the advanced CSV syntax name=…,alias=…,ip=…,ip6=…,mac-address=…,driver-opt=… */
export function parseNetworkAttachment(value: string): NetworkAttachment {
  const n: NetworkAttachment = { Target: '', Aliases: [], DriverOpts: {}, Links: [], IPv4Address: '', IPv6Address: '', LinkLocalIPs: [], MacAddress: '', GwPriority: 0 };
  if (!value.includes('=')) {
    n.Target = value;
    return n;
  }
  for (const field of value.split(',')) {
    const eq = field.indexOf('=');
    if (eq === -1) throw new Error(`invalid field '${field}' must be a key=value pair`);
    const key = field.slice(0, eq).toLowerCase();
    const v = field.slice(eq + 1);
    switch (key) {
      case 'name':
        n.Target = v;
        break;
      case 'alias':
        n.Aliases.push(v);
        break;
      case 'ip':
        n.IPv4Address = v;
        break;
      case 'ip6':
        n.IPv6Address = v;
        break;
      case 'mac-address':
        n.MacAddress = v;
        break;
      case 'link-local-ip':
        n.LinkLocalIPs.push(v);
        break;
      case 'driver-opt': {
        const e = v.indexOf('=');
        if (e === -1) throw new Error(`invalid key value pair format in driver options`);
        n.DriverOpts[v.slice(0, e).toLowerCase()] = v.slice(e + 1);
        break;
      }
      case 'gw-priority':
        n.GwPriority = Number(v);
        break;
      default:
        throw new Error(`invalid field key ${key}`);
    }
  }
  return n;
}

/** container.NetworkMode.IsUserDefined */
export function isUserDefinedNetwork(mode: string): boolean {
  return !['default', 'bridge', 'host', 'none'].includes(mode) && !mode.startsWith('container:');
}
