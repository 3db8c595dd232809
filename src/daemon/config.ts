// berthd's configuration: command-line flags merged with daemon.json (Docker's keys where they
// apply). A key set in both places is an error, as dockerd reports it.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { InvalidParameter } from '../lib/errors.js';
import { parseLevel, type Level } from '../lib/log.js';
import { parseLogOpts, policyOf, validateLogConfig } from '../containers/logging/options.js';

export interface RuntimeEntry {
  path: string;
  runtimeArgs?: string[];
}

export interface DaemonConfig {
  dataRoot: string;
  execRoot: string;
  hosts: string[];
  configFile: string;
  defaultRuntime: string;
  runtimes: Record<string, RuntimeEntry>;
  logLevel: Level;
  pidfile: string;
  liveRestore: boolean;
  cgroupParent: string;
  labels: string[];
  group?: string;
  debug: boolean;
  /** TLS on TCP sockets (`--tls`, `--tlsverify`: undefined when not given, as dockerd tells "unset" from false). */
  tls?: boolean;
  tlsVerify?: boolean;
  tlsCaCert?: string;
  tlsCert?: string;
  tlsKey?: string;
  /** Default log driver and options of new containers (`log-driver`, `log-opts`). */
  logDriver: string;
  logOpts: Record<string, string>;
  /** Registries spoken to without TLS verification (host[:port] or CIDR); loopback always is. */
  insecureRegistries?: string[];
  /** Pull-through mirrors of Docker Hub; without one, Hub names are not pulled at all. */
  registryMirrors?: string[];
  /** Networking (src/network): `bridge` ("none" = no default bridge), `bip`, `default-address-pools`,
   * `iptables` (Berth manages nft rules), `ip-forward`, `userland-proxy` (loopback through a proxy
   * instead of route_localnet DNAT; Berth's default is false), `mtu`. */
  bridge?: string;
  bip?: string;
  /** `fixed-cidr`: the part of the default bridge's subnet containers get addresses from. */
  fixedCidr?: string;
  /** `host-gateway-ip`: what `--add-host NAME:host-gateway` means (the default bridge's gateway otherwise). */
  hostGatewayIp?: string;
  defaultAddressPools?: { base: string; size: number }[];
  iptables?: boolean;
  ipForward?: boolean;
  userlandProxy?: boolean;
  mtu?: number;
  /** Storage driver (`storage-driver`, `-s`; overlay2 when unset) and its `storage-opts`. */
  storageDriver?: string;
  storageOpts?: string[];
  /** `userns-remap`: "default", "USER" or "USER:GROUP" (src/userns); unset means no remapping. */
  usernsRemap?: string;
}

export const DEFAULT_CONFIG_FILE = '/etc/berth/daemon.json';

const DEFAULTS = {
  dataRoot: '/var/lib/berth',
  execRoot: '/run/berth',
  hosts: ['unix:///run/berth.sock'],
  pidfile: '/run/berth.pid',
};

/** daemon.json keys Berth understands, mapped to config fields. */
const FILE_KEYS: Record<string, keyof DaemonConfig> = {
  'data-root': 'dataRoot',
  'exec-root': 'execRoot',
  hosts: 'hosts',
  'default-runtime': 'defaultRuntime',
  runtimes: 'runtimes',
  'log-level': 'logLevel',
  pidfile: 'pidfile',
  'live-restore': 'liveRestore',
  'cgroup-parent': 'cgroupParent',
  labels: 'labels',
  group: 'group',
  debug: 'debug',
  tls: 'tls',
  tlsverify: 'tlsVerify',
  tlscacert: 'tlsCaCert',
  tlscert: 'tlsCert',
  tlskey: 'tlsKey',
  'log-driver': 'logDriver',
  'log-opts': 'logOpts',
  'insecure-registries': 'insecureRegistries',
  'registry-mirrors': 'registryMirrors',
  bridge: 'bridge',
  bip: 'bip',
  'fixed-cidr': 'fixedCidr',
  'host-gateway-ip': 'hostGatewayIp',
  'default-address-pools': 'defaultAddressPools',
  iptables: 'iptables',
  'ip-forward': 'ipForward',
  'userland-proxy': 'userlandProxy',
  mtu: 'mtu',
  'storage-driver': 'storageDriver',
  'storage-opts': 'storageOpts',
  'userns-remap': 'usernsRemap',
};

/** Keys that SIGHUP may change without a restart (as dockerd's reloadable subset). */
export const RELOADABLE: (keyof DaemonConfig)[] = ['logLevel', 'debug', 'labels', 'liveRestore', 'defaultRuntime', 'runtimes', 'insecureRegistries', 'registryMirrors'];

export interface ParsedFlags {
  values: Partial<DaemonConfig>;
  configFile?: string;
  help: boolean;
  version: boolean;
}

export function parseFlags(argv: string[]): ParsedFlags {
  const values: Partial<DaemonConfig> = {};
  let configFile: string | undefined;
  let help = false;
  let version = false;
  const hosts: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i]!;
    let inline: string | undefined;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      inline = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const value = () => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) throw new InvalidParameter(`flag needs an argument: ${a}`);
      return v;
    };
    switch (a) {
      case '--data-root':
        values.dataRoot = value();
        break;
      case '--exec-root':
        values.execRoot = value();
        break;
      case '-H':
      case '--host':
        hosts.push(value());
        break;
      case '--config-file':
        configFile = value();
        break;
      case '--default-runtime':
        values.defaultRuntime = value();
        break;
      case '-l':
      case '--log-level':
        values.logLevel = parseLevel(value());
        break;
      case '-p':
      case '--pidfile':
        values.pidfile = value();
        break;
      case '-b':
      case '--bridge':
        values.bridge = value();
        break;
      case '--bip':
        values.bip = value();
        break;
      case '--fixed-cidr':
        values.fixedCidr = value();
        break;
      case '--host-gateway-ip':
        values.hostGatewayIp = value();
        break;
      case '--iptables':
        values.iptables = inline === undefined ? true : inline === 'true';
        break;
      case '--ip-forward':
        values.ipForward = inline === undefined ? true : inline === 'true';
        break;
      case '--userland-proxy':
        values.userlandProxy = inline === undefined ? true : inline === 'true';
        break;
      case '--live-restore':
        values.liveRestore = inline === undefined ? true : inline === 'true';
        break;
      case '-s':
      case '--storage-driver':
        values.storageDriver = value();
        break;
      case '--storage-opt':
        values.storageOpts = [...(values.storageOpts ?? []), value()];
        break;
      case '--cgroup-parent':
        values.cgroupParent = value();
        break;
      case '-G':
      case '--group':
        values.group = value();
        break;
      case '--log-driver':
        values.logDriver = value();
        break;
      case '--log-opt':
        values.logOpts = { ...values.logOpts, ...parseLogOpts([value()]) };
        break;
      case '-D':
      case '--debug':
        values.debug = true;
        break;
      case '--tls':
        values.tls = boolFlag(a, inline);
        break;
      case '--tlsverify':
        values.tlsVerify = boolFlag(a, inline);
        break;
      case '--userns-remap':
        values.usernsRemap = value();
        break;
      case '--tlscacert':
        values.tlsCaCert = value();
        break;
      case '--tlscert':
        values.tlsCert = value();
        break;
      case '--tlskey':
        values.tlsKey = value();
        break;
      case '-h':
      case '--help':
        help = true;
        break;
      case '-v':
      case '--version':
        version = true;
        break;
      default:
        throw new InvalidParameter(`unknown flag: ${a}`);
    }
  }
  if (hosts.length) values.hosts = hosts;
  return { values, configFile, help, version };
}

/** A boolean flag: bare means true; `--flag=false` is an explicit false (Go's strconv.ParseBool). */
function boolFlag(name: string, inline: string | undefined): boolean {
  if (inline === undefined) return true;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(inline)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(inline)) return false;
  throw new InvalidParameter(`invalid argument "${inline}" for "${name}" flag: strconv.ParseBool: parsing "${inline}": invalid syntax`);
}

export function readConfigFile(path: string, required: boolean): Partial<DaemonConfig> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new InvalidParameter(`unable to read configuration file ${path}: ${(err as Error).message}`);
  }
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new InvalidParameter(`unable to configure the Docker daemon with file ${path}: ${(err as Error).message}`);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    const field = FILE_KEYS[k];
    if (!field) continue; // Docker keys Berth does not act on yet are accepted and ignored
    out[field] = field === 'logLevel' ? parseLevel(String(v)) : v;
  }
  return out as Partial<DaemonConfig>;
}

export function loadConfig(argv: string[]): { config: DaemonConfig; help: boolean; version: boolean } {
  const flags = parseFlags(argv);
  const configFile = flags.configFile ?? DEFAULT_CONFIG_FILE;
  const file = readConfigFile(configFile, flags.configFile !== undefined);
  const conflicts = Object.keys(flags.values).filter((k) => k in file);
  if (conflicts.length) {
    throw new InvalidParameter(
      `unable to configure the Docker daemon with file ${configFile}: the following directives are specified both as a flag and in the configuration file: ${conflicts.join(', ')}`,
    );
  }
  const merged = { ...file, ...flags.values };
  const dataRoot = merged.dataRoot ?? DEFAULTS.dataRoot;
  const isDefaultRoot = dataRoot === DEFAULTS.dataRoot;
  const config: DaemonConfig = {
    dataRoot,
    execRoot: merged.execRoot ?? DEFAULTS.execRoot,
    hosts: merged.hosts ?? DEFAULTS.hosts,
    configFile,
    defaultRuntime: merged.defaultRuntime ?? 'crun',
    runtimes: merged.runtimes ?? {},
    logLevel: merged.debug ? 'debug' : (merged.logLevel ?? 'info'),
    pidfile: merged.pidfile ?? DEFAULTS.pidfile,
    liveRestore: merged.liveRestore ?? true,
    // Daemons side by side must not share cgroups: a non-default data root gets its own parent.
    cgroupParent: merged.cgroupParent ?? (isDefaultRoot ? '/berth' : `/berth-${createHash('sha256').update(dataRoot).digest('hex').slice(0, 12)}`),
    labels: merged.labels ?? [],
    group: merged.group,
    debug: merged.debug ?? false,
    tls: merged.tls,
    tlsVerify: merged.tlsVerify,
    tlsCaCert: merged.tlsCaCert,
    tlsCert: merged.tlsCert,
    tlsKey: merged.tlsKey,
    logDriver: merged.logDriver || 'json-file',
    logOpts: merged.logOpts ?? {},
    insecureRegistries: merged.insecureRegistries ?? [],
    registryMirrors: merged.registryMirrors ?? [],
    bridge: merged.bridge,
    bip: merged.bip,
    fixedCidr: merged.fixedCidr,
    hostGatewayIp: merged.hostGatewayIp,
    defaultAddressPools: merged.defaultAddressPools,
    iptables: merged.iptables ?? true,
    ipForward: merged.ipForward ?? true,
    userlandProxy: merged.userlandProxy ?? false,
    mtu: merged.mtu,
    storageDriver: merged.storageDriver || undefined,
    storageOpts: merged.storageOpts ?? [],
    usernsRemap: merged.usernsRemap || undefined,
  };
  // dockerd refuses to start with a default log configuration it could not apply.
  try {
    validateLogConfig(config.logDriver, config.logOpts);
    policyOf({ Type: config.logDriver, Config: config.logOpts });
  } catch (err) {
    throw new InvalidParameter(`failed to set log opts: ${(err as Error).message}`);
  }
  return { config, help: flags.help, version: flags.version };
}
