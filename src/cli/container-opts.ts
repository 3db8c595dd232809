// The container flags of docker run/create (the full Docker 28 list) and their mapping into the
// POST /containers/create body, following docker/cli's container/opts.go: Config, HostConfig
// (with Resources inlined) and NetworkingConfig, including its validations and error texts.

import type { FlagSpec, ParsedFlags } from './flags.js';
import { kvToMap, readKVEnvStrings, readKVStrings, validateEnv } from './opts/env.js';
import {
  isUserDefinedNetwork,
  parseDevice,
  parseGpus,
  parseNetworkAttachment,
  parseRestartPolicy,
  parseThrottleBps,
  parseThrottleIOps,
  parseUlimit,
  parseWeightDevice,
  ulimitList,
  validateAttach,
  validateExtraHost,
  validateIPAddress,
  validateSysctl,
  type DeviceRequest,
  type NetworkAttachment,
  type Ulimit,
} from './opts/host.js';
import { parseMount, parseTmpfs, splitVolumes, type Mount } from './opts/mounts.js';
import { parseExpose, parsePortSpecs, toStandardNotation } from './opts/ports.js';

const list = (name: string, help: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({ name, kind: 'list', help, ...extra });

function validateLabel(v: string): string {
  if (v.startsWith('=')) throw new Error(`invalid label '${v}': empty name`);
  return v;
}

/** Flags shared by run and create (containerOptions in docker/cli). */
export const containerFlags: FlagSpec[] = [
  list('add-host', 'Add a custom host-to-IP mapping (host:ip)', { parse: validateExtraHost }),
  { name: 'annotation', kind: 'map', help: 'Add an annotation to the container (passed through to the OCI runtime)', defaultText: 'map[]' },
  list('attach', 'Attach to STDIN, STDOUT or STDERR', { short: 'a', parse: validateAttach }),
  { name: 'blkio-weight', kind: 'uint16', help: 'Block IO (relative weight), between 10 and 1000, or 0 to disable', defaultText: '0' },
  list('blkio-weight-device', 'Block IO weight (relative device weight)', { parse: parseWeightDevice, defaultText: '[]' }),
  list('cap-add', 'Add Linux capabilities'),
  list('cap-drop', 'Drop Linux capabilities'),
  { name: 'cgroup-parent', kind: 'string', help: 'Optional parent cgroup for the container' },
  {
    name: 'cgroupns',
    kind: 'string',
    help: `Cgroup namespace to use (host|private)
'host':    Run the container in the Docker host's cgroup namespace
'private': Run the container in its own private cgroup namespace
'':        Use the cgroup namespace as configured by the
           default-cgroupns-mode option on the daemon (default)`,
  },
  { name: 'cidfile', kind: 'string', help: 'Write the container ID to the file' },
  { name: 'cpu-count', kind: 'int', help: 'CPU count (Windows only)', hidden: true },
  { name: 'cpu-percent', kind: 'int', help: 'CPU percent (Windows only)', hidden: true },
  { name: 'cpu-period', kind: 'int', help: 'Limit CPU CFS (Completely Fair Scheduler) period' },
  { name: 'cpu-quota', kind: 'int', help: 'Limit CPU CFS (Completely Fair Scheduler) quota' },
  { name: 'cpu-rt-period', kind: 'int', help: 'Limit CPU real-time period in microseconds' },
  { name: 'cpu-rt-runtime', kind: 'int', help: 'Limit CPU real-time runtime in microseconds' },
  { name: 'cpu-shares', short: 'c', kind: 'int', help: 'CPU shares (relative weight)' },
  { name: 'cpus', kind: 'decimal', help: 'Number of CPUs' },
  { name: 'cpuset-cpus', kind: 'string', help: 'CPUs in which to allow execution (0-3, 0,1)' },
  { name: 'cpuset-mems', kind: 'string', help: 'MEMs in which to allow execution (0-3, 0,1)' },
  list('device', 'Add a host device to the container'),
  list('device-cgroup-rule', 'Add a rule to the cgroup allowed devices list', {
    parse: (v) => {
      if (!/^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/.test(v)) throw new Error(`invalid device cgroup format '${v}'`);
      return v;
    },
  }),
  list('device-read-bps', 'Limit read rate (bytes per second) from a device', { parse: parseThrottleBps, defaultText: '[]' }),
  list('device-read-iops', 'Limit read rate (IO per second) from a device', { parse: parseThrottleIOps, defaultText: '[]' }),
  list('device-write-bps', 'Limit write rate (bytes per second) to a device', { parse: parseThrottleBps, defaultText: '[]' }),
  list('device-write-iops', 'Limit write rate (IO per second) to a device', { parse: parseThrottleIOps, defaultText: '[]' }),
  list('dns', 'Set custom DNS servers', { parse: validateIPAddress }),
  list('dns-opt', 'Set DNS options', { hidden: true, aliasOf: 'dns-option' }),
  list('dns-option', 'Set DNS options'),
  list('dns-search', 'Set custom DNS search domains'),
  { name: 'domainname', kind: 'string', help: 'Container NIS domain name' },
  { name: 'entrypoint', kind: 'string', help: 'Overwrite the default ENTRYPOINT of the image' },
  list('env', 'Set environment variables', { short: 'e', parse: (v) => validateEnv(v) }),
  list('env-file', 'Read in a file of environment variables'),
  list('expose', 'Expose a port or a range of ports'),
  list('gpus', "GPU devices to add to the container ('all' to pass all GPUs)", { typeName: 'gpu-request', parse: parseGpus }),
  list('group-add', 'Add additional groups to join'),
  { name: 'health-cmd', kind: 'string', help: 'Command to run to check health' },
  { name: 'health-interval', kind: 'duration', help: 'Time between running the check (ms|s|m|h)', defaultText: '0s' },
  { name: 'health-retries', kind: 'int', help: 'Consecutive failures needed to report unhealthy' },
  { name: 'health-start-interval', kind: 'duration', help: 'Time between running the check during the start period (ms|s|m|h)', defaultText: '0s' },
  { name: 'health-start-period', kind: 'duration', help: 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h)', defaultText: '0s' },
  { name: 'health-timeout', kind: 'duration', help: 'Maximum time to allow one check to run (ms|s|m|h)', defaultText: '0s' },
  { name: 'hostname', short: 'h', kind: 'string', help: 'Container host name' },
  { name: 'init', kind: 'bool', help: 'Run an init inside the container that forwards signals and reaps processes' },
  { name: 'interactive', short: 'i', kind: 'bool', help: 'Keep STDIN open even if not attached' },
  { name: 'io-maxbandwidth', kind: 'bytes', help: 'Maximum IO bandwidth limit for the system drive (Windows only)', hidden: true },
  { name: 'io-maxiops', kind: 'uint64', help: 'Maximum IOps limit for the system drive (Windows only)', hidden: true },
  { name: 'ip', kind: 'string', typeName: 'string', help: 'IPv4 address (e.g., 172.30.100.104)' },
  { name: 'ip6', kind: 'string', typeName: 'string', help: 'IPv6 address (e.g., 2001:db8::33)' },
  { name: 'ipc', kind: 'string', help: 'IPC mode to use' },
  { name: 'isolation', kind: 'string', help: 'Container isolation technology' },
  { name: 'kernel-memory', kind: 'bytes', help: 'Kernel memory limit' },
  list('label', 'Set meta data on a container', { short: 'l', parse: validateLabel }),
  list('label-file', 'Read in a line delimited file of labels'),
  list('link', 'Add link to another container'),
  list('link-local-ip', 'Container IPv4/IPv6 link-local addresses'),
  { name: 'log-driver', kind: 'string', help: 'Logging driver for the container' },
  list('log-opt', 'Log driver options'),
  { name: 'mac-address', kind: 'string', help: 'Container MAC address (e.g., 92:d0:c6:0a:29:33)' },
  { name: 'memory', short: 'm', kind: 'bytes', help: 'Memory limit' },
  { name: 'memory-reservation', kind: 'bytes', help: 'Memory soft limit' },
  { name: 'memory-swap', kind: 'swapbytes', help: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap" },
  { name: 'memory-swappiness', kind: 'int', help: 'Tune container memory swappiness (0 to 100)', default: -1 },
  list('mount', 'Attach a filesystem mount to the container', { typeName: 'mount', parse: parseMount }),
  list('net', 'Connect a container to a network', { hidden: true, aliasOf: 'network' }),
  list('net-alias', 'Add network-scoped alias for the container', { hidden: true, aliasOf: 'network-alias' }),
  list('network', 'Connect a container to a network', { typeName: 'network', parse: parseNetworkAttachment }),
  list('network-alias', 'Add network-scoped alias for the container'),
  { name: 'no-healthcheck', kind: 'bool', help: 'Disable any container-specified HEALTHCHECK' },
  { name: 'oom-kill-disable', kind: 'bool', help: 'Disable OOM Killer' },
  { name: 'oom-score-adj', kind: 'int', help: "Tune host's OOM preferences (-1000 to 1000)" },
  { name: 'pid', kind: 'string', help: 'PID namespace to use' },
  { name: 'pids-limit', kind: 'int', help: 'Tune container pids limit (set -1 for unlimited)' },
  { name: 'privileged', kind: 'bool', help: 'Give extended privileges to this container' },
  list('publish', "Publish a container's port(s) to the host", { short: 'p' }),
  { name: 'publish-all', short: 'P', kind: 'bool', help: 'Publish all exposed ports to random ports' },
  { name: 'read-only', kind: 'bool', help: "Mount the container's root filesystem as read only" },
  { name: 'restart', kind: 'string', help: 'Restart policy to apply when a container exits', default: 'no' },
  { name: 'rm', kind: 'bool', help: 'Automatically remove the container and its associated anonymous volumes when it exits' },
  { name: 'runtime', kind: 'string', help: 'Runtime to use for this container' },
  list('security-opt', 'Security Options'),
  { name: 'shm-size', kind: 'bytes', help: 'Size of /dev/shm' },
  { name: 'stop-signal', kind: 'string', help: 'Signal to stop the container' },
  { name: 'stop-timeout', kind: 'int', help: 'Timeout (in seconds) to stop a container' },
  list('storage-opt', 'Storage driver options for the container'),
  { name: 'sysctl', kind: 'map', help: 'Sysctl options', defaultText: 'map[]', parse: validateSysctl },
  list('tmpfs', 'Mount a tmpfs directory'),
  { name: 'tty', short: 't', kind: 'bool', help: 'Allocate a pseudo-TTY' },
  list('ulimit', 'Ulimit options', { typeName: 'ulimit', parse: parseUlimit, defaultText: '[]' }),
  { name: 'user', short: 'u', kind: 'string', help: 'Username or UID (format: <name|uid>[:<group|gid>])' },
  { name: 'userns', kind: 'string', help: 'User namespace to use' },
  { name: 'uts', kind: 'string', help: 'UTS namespace to use' },
  list('volume', 'Bind mount a volume', { short: 'v' }),
  { name: 'volume-driver', kind: 'string', help: 'Optional volume driver for the container' },
  list('volumes-from', 'Mount volumes from the specified container(s)'),
  { name: 'workdir', short: 'w', kind: 'string', help: 'Working directory inside the container' },
];

/** Flags of `create` beyond the container options (createOptions). */
export const createOnlyFlags: FlagSpec[] = [
  { name: 'name', kind: 'string', help: 'Assign a name to the container' },
  { name: 'platform', kind: 'string', help: 'Set platform if server is multi-platform capable', default: process.env.DOCKER_DEFAULT_PLATFORM ?? '' },
  { name: 'pull', kind: 'string', help: 'Pull image before creating ("always", "|missing", "never")', default: 'missing' },
  { name: 'quiet', short: 'q', kind: 'bool', help: 'Suppress the pull output' },
  { name: 'use-api-socket', kind: 'bool', help: 'Bind mount Docker API socket and required auth' },
  { name: 'disable-content-trust', kind: 'bool', help: 'Skip image verification', default: true },
];

/** Flags of `run` beyond the container options (runOptions). */
export const runOnlyFlags: FlagSpec[] = [
  ...createOnlyFlags.map((f) => (f.name === 'pull' ? { ...f, help: 'Pull image before running ("always", "missing", "never")' } : f)),
  { name: 'detach', short: 'd', kind: 'bool', help: 'Run container in background and print container ID' },
  { name: 'detach-keys', kind: 'string', help: 'Override the key sequence for detaching a container' },
  { name: 'sig-proxy', kind: 'bool', help: 'Proxy received signals to the process', default: true },
];

/** The JSON body of POST /containers/create: Config fields at top level plus the two sub-objects. */
export interface CreateBody {
  [key: string]: unknown;
  Image: string;
  Tty: boolean;
  OpenStdin: boolean;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  StdinOnce: boolean;
  Cmd: string[] | null;
  Entrypoint: string[] | null;
  HostConfig: Record<string, unknown>;
  NetworkingConfig: { EndpointsConfig: Record<string, Record<string, unknown>> };
}

export interface ContainerConfig {
  body: CreateBody;
  /** --name and --platform go in the query string. */
  name: string;
  platform: string;
}

function healthConfig(flags: ParsedFlags): Record<string, unknown> | null {
  const cmd = flags.string('health-cmd');
  const interval = flags.number('health-interval');
  const timeout = flags.number('health-timeout');
  const startPeriod = flags.number('health-start-period');
  const startInterval = flags.number('health-start-interval');
  const retries = flags.number('health-retries');
  const have = cmd !== '' || interval !== 0 || timeout !== 0 || startPeriod !== 0 || retries !== 0 || startInterval !== 0;
  if (flags.bool('no-healthcheck')) {
    if (have) throw new Error('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!have) return null;
  if (interval < 0) throw new Error('--health-interval cannot be negative');
  if (timeout < 0) throw new Error('--health-timeout cannot be negative');
  if (retries < 0) throw new Error('--health-retries cannot be negative');
  if (startPeriod < 0) throw new Error('--health-start-period cannot be negative');
  if (startInterval < 0) throw new Error('--health-start-interval cannot be negative');
  return {
    Test: cmd !== '' ? ['CMD-SHELL', cmd] : null,
    Interval: interval,
    Timeout: timeout,
    StartPeriod: startPeriod,
    StartInterval: startInterval,
    Retries: retries,
  };
}

function validNamespaceMode(mode: string, allowed: string[]): boolean {
  if (mode === '' || allowed.includes(mode)) return true;
  const colon = mode.indexOf(':');
  return colon !== -1 && mode.slice(0, colon) === 'container' && mode.slice(colon + 1) !== '';
}

function parseSecurityOpts(values: readonly string[]): { securityOpt: string[]; masked: string[] | null; readonly: string[] | null } {
  const out: string[] = [];
  let masked: string[] | null = null;
  let readonlyPaths: string[] | null = null;
  for (const opt of values) {
    let sep = opt.indexOf('=');
    let key = sep === -1 ? opt : opt.slice(0, sep);
    if (sep === -1 && key !== 'no-new-privileges') {
      sep = opt.indexOf(':');
      key = sep === -1 ? opt : opt.slice(0, sep);
    }
    const v = sep === -1 ? '' : opt.slice(sep + 1);
    if ((sep === -1 || v === '') && key !== 'no-new-privileges') throw new Error(`invalid --security-opt: ${JSON.stringify(opt)}`);
    // systempaths=unconfined is handled client-side: it empties the masked and read-only lists.
    if (opt === 'systempaths=unconfined') {
      masked = [];
      readonlyPaths = [];
      continue;
    }
    out.push(opt);
  }
  return { securityOpt: out, masked, readonly: readonlyPaths };
}

function endpointFrom(n: NetworkAttachment): Record<string, unknown> {
  if (!isUserDefinedNetwork(n.Target)) {
    if (n.Aliases.length) throw new Error('network-scoped aliases are only supported for user-defined networks');
    if (n.Links.length) throw new Error('links are only supported for user-defined networks');
  }
  const ep: Record<string, unknown> = {};
  if (n.Aliases.length) ep.Aliases = n.Aliases;
  if (Object.keys(n.DriverOpts).length) ep.DriverOpts = n.DriverOpts;
  if (n.Links.length) ep.Links = n.Links;
  if (n.IPv4Address || n.IPv6Address || n.LinkLocalIPs.length) {
    ep.IPAMConfig = { IPv4Address: n.IPv4Address, IPv6Address: n.IPv6Address, LinkLocalIPs: n.LinkLocalIPs };
  }
  if (n.MacAddress) {
    if (!/^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/.test(n.MacAddress.trim())) throw new Error(`${n.MacAddress} is not a valid mac address`);
    ep.MacAddress = n.MacAddress.trim();
  }
  if (n.GwPriority) ep.GwPriority = n.GwPriority;
  return ep;
}

/** parseNetworkOpts: the legacy single-network flags apply to the first --network. */
function networkingConfig(flags: ParsedFlags): Record<string, Record<string, unknown>> {
  const nets = flags.list<NetworkAttachment>('network').map((n) => ({ ...n, Aliases: [...n.Aliases], Links: [...n.Links], LinkLocalIPs: [...n.LinkLocalIPs] }));
  const aliases = flags.list('network-alias');
  const links = flags.list('link');
  const ip = flags.string('ip');
  const ip6 = flags.string('ip6');
  const mac = flags.string('mac-address');
  const linkLocal = flags.list('link-local-ip');
  const applyLegacy = (n: NetworkAttachment): void => {
    if (n.Aliases.length && aliases.length) throw new Error('conflicting options: cannot specify both --network-alias and per-network alias');
    if (n.Links.length && links.length) throw new Error('conflicting options: cannot specify both --link and per-network links');
    if (n.IPv4Address && ip) throw new Error('conflicting options: cannot specify both --ip and per-network IPv4 address');
    if (n.IPv6Address && ip6) throw new Error('conflicting options: cannot specify both --ip6 and per-network IPv6 address');
    if (n.MacAddress && mac) throw new Error('conflicting options: cannot specify both --mac-address and per-network MAC address');
    if (n.LinkLocalIPs.length && linkLocal.length) throw new Error('conflicting options: cannot specify both --link-local-ip and per-network link-local IP addresses');
    if (aliases.length) n.Aliases = [...aliases];
    // On a user-defined network --link makes an alias; on the default bridge it is a legacy link.
    if (isUserDefinedNetwork(n.Target) && links.length) n.Links = [...links];
    if (ip) n.IPv4Address = ip;
    if (ip6) n.IPv6Address = ip6;
    if (mac) n.MacAddress = mac;
    if (linkLocal.length) n.LinkLocalIPs = [...linkLocal];
  };
  const endpoints: Record<string, Record<string, unknown>> = {};
  if (nets.length === 0) {
    const n = parseNetworkAttachment('default');
    applyLegacy(n);
    endpoints.default = endpointFrom(n);
    return endpoints;
  }
  let userDefined = false;
  let nonUserDefined = false;
  nets.forEach((n, i) => {
    if (isUserDefinedNetwork(n.Target)) userDefined = true;
    else nonUserDefined = true;
    if (i === 0) applyLegacy(n);
    if (n.Target.trim() === '') throw new Error('no name set for network');
    const ep = endpointFrom(n);
    if (endpoints[n.Target]) throw new Error(`network ${JSON.stringify(n.Target)} is specified multiple times`);
    // A single network with no per-endpoint settings is left to the daemon, as docker/cli does.
    if (i === 0 && nets.length === 1 && Object.keys(ep).length === 0) return;
    endpoints[n.Target] = ep;
  });
  if (userDefined && nonUserDefined) throw new Error('conflicting options: cannot attach both user-defined and non-user-defined network-modes');
  return endpoints;
}

/**
 * docker/cli's parse(): flags (already parsed, args = [IMAGE, CMD…]) → the create request.
 * Throws Error with Docker's message on invalid combinations.
 */
export function buildContainerConfig(flags: ParsedFlags, serverOS = 'linux'): ContainerConfig {
  const [image = '', ...cmd] = flags.args;
  const attach = flags.list('attach');
  let attachStdin = attach.includes('stdin');
  let attachStdout = attach.includes('stdout');
  let attachStderr = attach.includes('stderr');
  const mac = flags.string('mac-address');
  if (mac && !/^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/.test(mac.trim())) throw new Error(`${mac} is not a valid mac address`);
  if (flags.bool('interactive')) attachStdin = true;
  if (attach.length === 0) {
    attachStdout = true;
    attachStderr = true;
  }
  const swappiness = flags.number('memory-swappiness');
  if (swappiness !== -1 && (swappiness < 0 || swappiness > 100)) {
    throw new Error(`invalid value: ${swappiness}. Valid memory swappiness range is 0-100`);
  }

  const { binds, volumes } = splitVolumes(flags.list('volume'));
  const tmpfs = parseTmpfs(flags.list('tmpfs'));

  let entrypoint: string[] | null = null;
  if (flags.string('entrypoint') !== '') entrypoint = [flags.string('entrypoint')];
  else if (flags.changed('entrypoint')) entrypoint = [''];

  const ports = parsePortSpecs(flags.list('publish').map(toStandardNotation));
  const exposed = { ...ports.exposed };
  for (const e of flags.list('expose')) for (const p of parseExpose(e)) exposed[p] = {};

  const devices = [];
  const cdiDevices: string[] = [];
  for (const d of flags.list('device')) {
    // A CDI name (vendor.com/class=name) is a device request, not a path mapping.
    if (/^[a-zA-Z0-9][a-zA-Z0-9.-]*\/[a-zA-Z0-9][a-zA-Z0-9_.-]*=.+$/.test(d)) cdiDevices.push(d);
    else if (serverOS === 'windows') devices.push({ PathOnHost: d, PathInContainer: '', CgroupPermissions: '' });
    else devices.push(parseDevice(d));
  }

  let env: string[];
  try {
    env = readKVEnvStrings(flags.list('env-file'), flags.list('env'));
  } catch (err) {
    throw new Error(`--env-file: ${(err as Error).message}`);
  }
  let labels: string[];
  try {
    labels = readKVStrings(flags.list('label-file'), flags.list('label'));
  } catch (err) {
    throw new Error(`--label-file: ${(err as Error).message}`);
  }

  const pid = flags.string('pid');
  if (!validNamespaceMode(pid, ['host'])) throw new Error('--pid: invalid PID mode');
  const uts = flags.string('uts');
  if (!validNamespaceMode(uts, ['host'])) throw new Error('--uts: invalid UTS mode');
  const userns = flags.string('userns');
  if (userns !== '' && userns !== 'host') throw new Error('--userns: invalid USER mode');
  const cgroupns = flags.string('cgroupns');
  if (cgroupns !== '' && cgroupns !== 'host' && cgroupns !== 'private') throw new Error('--cgroupns: invalid CGROUP mode');

  const restart = parseRestartPolicy(flags.string('restart'));
  const logDriver = flags.string('log-driver');
  const logOpts = flags.list('log-opt');
  if (logDriver === 'none' && logOpts.length > 0) throw new Error(`invalid logging opts for driver ${logDriver}`);
  const security = parseSecurityOpts(flags.list('security-opt'));
  const storageOpt: Record<string, string> = {};
  for (const o of flags.list('storage-opt')) {
    const eq = o.indexOf('=');
    if (eq === -1) throw new Error('invalid storage option');
    storageOpt[o.slice(0, eq)] = o.slice(eq + 1);
  }

  const healthcheck = healthConfig(flags);

  const deviceRequests: DeviceRequest[] = [...flags.list<DeviceRequest>('gpus')];
  if (cdiDevices.length) deviceRequests.push({ Driver: 'cdi', Count: 0, DeviceIDs: cdiDevices, Capabilities: null, Options: null });

  const dns = flags.list('dns');
  const hostConfig: Record<string, unknown> = {
    Binds: binds.length ? binds : null,
    ContainerIDFile: flags.string('cidfile'),
    LogConfig: { Type: logDriver, Config: kvToMap(logOpts) },
    NetworkMode: flags.list<NetworkAttachment>('network')[0]?.Target ?? 'default',
    PortBindings: ports.bindings,
    RestartPolicy: restart,
    AutoRemove: flags.bool('rm'),
    VolumeDriver: flags.string('volume-driver'),
    VolumesFrom: flags.list('volumes-from').length ? flags.list('volumes-from') : null,
    Annotations: Object.keys(flags.map('annotation')).length ? flags.map('annotation') : null,
    CapAdd: flags.list('cap-add').length ? flags.list('cap-add') : null,
    CapDrop: flags.list('cap-drop').length ? flags.list('cap-drop') : null,
    CgroupnsMode: cgroupns,
    // Never null: the daemon treats missing DNS fields of new containers as "unset".
    Dns: dns,
    DnsOptions: flags.list('dns-option'),
    DnsSearch: flags.list('dns-search'),
    ExtraHosts: flags.list('add-host').length ? flags.list('add-host') : null,
    GroupAdd: flags.list('group-add').length ? flags.list('group-add') : null,
    IpcMode: flags.string('ipc'),
    Cgroup: '',
    Links: flags.list('link').length ? flags.list('link') : null,
    OomScoreAdj: flags.number('oom-score-adj'),
    PidMode: pid,
    Privileged: flags.bool('privileged'),
    PublishAllPorts: flags.bool('publish-all'),
    ReadonlyRootfs: flags.bool('read-only'),
    SecurityOpt: security.securityOpt.length ? security.securityOpt : null,
    StorageOpt: Object.keys(storageOpt).length ? storageOpt : null,
    Tmpfs: Object.keys(tmpfs).length ? tmpfs : null,
    UTSMode: uts,
    UsernsMode: userns,
    ShmSize: flags.number('shm-size'),
    Sysctls: Object.keys(flags.map('sysctl')).length ? flags.map('sysctl') : null,
    Runtime: flags.string('runtime'),
    Isolation: flags.string('isolation'),
    // Resources, inlined in HostConfig on the wire.
    CpuShares: flags.number('cpu-shares'),
    Memory: flags.number('memory'),
    NanoCpus: flags.number('cpus'),
    CgroupParent: flags.string('cgroup-parent'),
    BlkioWeight: flags.number('blkio-weight'),
    BlkioWeightDevice: flags.list('blkio-weight-device'),
    BlkioDeviceReadBps: flags.list('device-read-bps'),
    BlkioDeviceWriteBps: flags.list('device-write-bps'),
    BlkioDeviceReadIOps: flags.list('device-read-iops'),
    BlkioDeviceWriteIOps: flags.list('device-write-iops'),
    CpuPeriod: flags.number('cpu-period'),
    CpuQuota: flags.number('cpu-quota'),
    CpuRealtimePeriod: flags.number('cpu-rt-period'),
    CpuRealtimeRuntime: flags.number('cpu-rt-runtime'),
    CpusetCpus: flags.string('cpuset-cpus'),
    CpusetMems: flags.string('cpuset-mems'),
    Devices: devices,
    DeviceCgroupRules: flags.list('device-cgroup-rule').length ? flags.list('device-cgroup-rule') : null,
    DeviceRequests: deviceRequests.length ? deviceRequests : null,
    MemoryReservation: flags.number('memory-reservation'),
    MemorySwap: flags.number('memory-swap'),
    MemorySwappiness: swappiness,
    OomKillDisable: flags.bool('oom-kill-disable'),
    PidsLimit: flags.number('pids-limit'),
    Ulimits: ulimitList(flags.list<Ulimit>('ulimit')),
    CpuCount: flags.number('cpu-count'),
    CpuPercent: flags.number('cpu-percent'),
    IOMaximumIOps: flags.number('io-maxiops'),
    IOMaximumBandwidth: flags.number('io-maxbandwidth'),
    Mounts: flags.list<Mount>('mount').length ? flags.list<Mount>('mount') : null,
    MaskedPaths: security.masked,
    ReadonlyPaths: security.readonly,
  };
  if (flags.bool('rm') && restart.Name !== '' && restart.Name !== 'no') {
    throw new Error('conflicting options: cannot specify both --restart and --rm');
  }
  // Only sent when given, so that the daemon's default (daemon.json "init") applies otherwise.
  if (flags.changed('init')) hostConfig.Init = flags.bool('init');

  const openStdin = flags.bool('interactive');
  const body: CreateBody = {
    Hostname: flags.string('hostname'),
    Domainname: flags.string('domainname'),
    User: flags.string('user'),
    AttachStdin: attachStdin,
    AttachStdout: attachStdout,
    AttachStderr: attachStderr,
    ExposedPorts: Object.keys(exposed).length ? exposed : null,
    Tty: flags.bool('tty'),
    OpenStdin: openStdin,
    // With stdin attached, the daemon closes the container's stdin when the client disconnects.
    StdinOnce: openStdin && attachStdin,
    Env: env.length ? env : null,
    Cmd: cmd.length ? cmd : null,
    Healthcheck: healthcheck,
    Image: image,
    Volumes: Object.keys(volumes).length ? volumes : null,
    WorkingDir: flags.string('workdir'),
    Entrypoint: entrypoint,
    Labels: kvToMap(labels),
    StopSignal: flags.string('stop-signal'),
    HostConfig: hostConfig,
    NetworkingConfig: { EndpointsConfig: networkingConfig(flags) },
  };
  if (flags.changed('stop-timeout')) body.StopTimeout = flags.number('stop-timeout');
  return { body, name: flags.string('name'), platform: flags.string('platform') };
}
