// Prepares a container's OCI bundle before start: /etc/hostname, /etc/hosts and /etc/resolv.conf
// files, the namespaces to create or join, and config.json from the OCI spec builder.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { InvalidParameter, Conflict } from '../lib/errors.js';
import type { Image } from '../images/store.js';
import { isRunning, type ContainerRecord } from './model.js';
import { buildSpec, specToJson, readDaemonRlimits, type OciSpec } from './oci-spec/index.js';
import type { SandboxInfo } from '../network/controller.js';
import type { OciMount } from './oci-spec/types.js';
import { replaceOrAppendEnv } from './oci-spec/env.js';
import { embeddedResolvConf, type DnsSettings } from '../network/dns/resolv-conf.js';
import { extraHostLines } from '../network/extra-hosts.js';
import type { IdMapping } from '../userns/id-mapping.js';
import { containerMapping } from '../userns/container-checks.js';
import { remapContainerFiles } from '../userns/ownership.js';
import { ownedUserns } from '../userns/join.js';

export interface BundleInput {
  container: ContainerRecord;
  image: Image | undefined;
  rootfs: string;
  bundle: string;
  cgroupsPath: string;
  lookupContainer(ref: string): ContainerRecord;
  /** The container's binds, volumes and tmpfs mounts, prepared by the volumes hooks. */
  userMounts?: OciMount[];
  /** Last say over the spec before it is written (the runtime's seccomp BPF cache). */
  finish?(spec: OciSpec): void;
  /** The network controller's sandbox: the namespace to join and the container's own /etc/hosts lines. */
  sandbox?: SandboxInfo;
  /** userns-remap: the daemon's mapping (the container's files are owned by its root). */
  userns?: IdMapping;
}

const HOSTS_BASE = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n';
export const INIT_BINARY = '/usr/bin/catatonit';

type NsKind = 'net' | 'ipc' | 'pid' | 'uts';

/** Resolves `host`, `container:<ref>` and private modes to what the spec builder needs. */
function namespaceMode(kind: NsKind, mode: string | undefined, lookup: BundleInput['lookupContainer'], self: ContainerRecord) {
  if (mode === 'host') return { host: true as const };
  const m = /^container:(.+)$/.exec(mode ?? '');
  if (!m) return {};
  const other = lookup(m[1]!);
  if (other.Id === self.Id) throw new InvalidParameter(`cannot join own ${kind} namespace`);
  if (!isRunning(other) || !other.State.Pid) throw new Conflict(`cannot join ${kind} namespace of a non running container: container ${other.Id} is not running`);
  return { path: `/proc/${other.State.Pid}/ns/${kind}` };
}

export async function makeBundle(b: BundleInput): Promise<string[]> {
  const c = b.container;
  const hc = c.HostConfig;
  const net = hc.NetworkMode ?? 'default';
  const modes = {
    net: namespaceMode('net', net, b.lookupContainer, c),
    ipc: namespaceMode('ipc', hc.IpcMode as string | undefined, b.lookupContainer, c),
    pid: namespaceMode('pid', hc.PidMode as string | undefined, b.lookupContainer, c),
    uts: namespaceMode('uts', hc.UTSMode as string | undefined, b.lookupContainer, c),
  };
  const hostNet = !!modes.net.host;
  const hostname = hostNet ? (await fs.readFile('/etc/hostname', 'utf8').catch(() => 'localhost')).trim() : (c.Config.Hostname ?? c.Id.slice(0, 12));

  // Files the container sees at /etc/{hostname,hosts,resolv.conf}, kept in its directory. They
  // are written anew at every start, so a torn write after a crash is simply replaced.
  const extraHosts = extraHostLines((hc.ExtraHosts as string[] | null) ?? [], b.sandbox?.hostGateway).map((l) => l + '\n');
  const hosts = hostNet ? await fs.readFile('/etc/hosts', 'utf8').catch(() => HOSTS_BASE) : HOSTS_BASE;
  const ownHosts = [...(b.sandbox?.links?.hosts ?? []), ...(b.sandbox?.hosts ?? [])].map((l) => l + '\n');
  await Promise.all([
    fs.writeFile(c.HostnamePath, hostname + '\n', { mode: 0o644 }),
    fs.writeFile(c.HostsPath, hosts + extraHosts.join('') + ownHosts.join(''), { mode: 0o644 }),
    (b.sandbox?.embeddedDns ? fs.readFile('/etc/resolv.conf', 'utf8').catch(() => '').then((t) => embeddedResolvConf(t, hc as DnsSettings)) : resolvConf(hostNet, hc)).then((text) => fs.writeFile(c.ResolvConfPath, text, { mode: 0o644 })),
  ]);
  if (b.userns) await remapContainerFiles([c.HostnamePath, c.HostsPath, c.ResolvConfPath], b.userns);
  const userns = containerMapping(hc, b.userns);

  const [passwd, group] = await Promise.all([readInRoot(b.rootfs, 'etc/passwd'), readInRoot(b.rootfs, 'etc/group')]);
  const mounts = [
    { destination: '/etc/resolv.conf', type: 'bind', source: c.ResolvConfPath, options: ['rbind', 'rprivate'] },
    { destination: '/etc/hostname', type: 'bind', source: c.HostnamePath, options: ['rbind', 'rprivate'] },
    { destination: '/etc/hosts', type: 'bind', source: c.HostsPath, options: ['rbind', 'rprivate'] },
    ...(b.userMounts ?? []),
  ];
  const hostNamespaces = new Set<NsKind>((Object.keys(modes) as NsKind[]).filter((k) => modes[k].host));
  const nsPaths: Partial<Record<NsKind, string>> = {};
  for (const k of Object.keys(modes) as NsKind[]) if (modes[k].path) nsPaths[k] = modes[k].path;
  if (b.sandbox?.netns) nsPaths.net = b.sandbox.netns;

  const { spec, warnings } = buildSpec(c.Config, hc, {
    containerId: c.Id,
    rootfs: b.rootfs,
    cgroupsPath: b.cgroupsPath,
    mounts,
    nsPaths,
    hostNamespaces,
    initPath: hc.Init ? INIT_BINARY : undefined,
    passwd,
    group,
    daemonRlimits: await daemonRlimits(),
    userns: userns && { uidMappings: userns.uidMaps, gidMappings: userns.gidMaps, path: ownedUserns(b.sandbox?.netns, { net, ipc: hc.IpcMode as string | undefined, pid: hc.PidMode as string | undefined }, b.lookupContainer, b.userns) },
  });
  // Link variables come before the image's and the user's, which win on the same name (as dockerd).
  if (b.sandbox?.links?.env.length) spec.process.env = replaceOrAppendEnv(b.sandbox.links.env, spec.process.env);
  b.finish?.(spec);
  await fs.writeFile(join(b.bundle, 'config.json'), specToJson(spec), { mode: 0o600 });
  return warnings;
}

async function readInRoot(rootfs: string, rel: string): Promise<string | undefined> {
  // The image's files are untrusted: never follow a symlink out of the rootfs.
  const p = join(rootfs, rel);
  const st = await fs.lstat(p).catch(() => undefined);
  if (!st || !st.isFile()) return undefined;
  return fs.readFile(p, 'utf8');
}

async function resolvConf(hostNet: boolean, hc: ContainerRecord['HostConfig']): Promise<string> {
  const host = await fs.readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  const dns = (hc.Dns as string[] | undefined) ?? [];
  const search = (hc.DnsSearch as string[] | undefined) ?? [];
  const options = (hc.DnsOptions as string[] | undefined) ?? [];
  if (hostNet && !dns.length && !search.length && !options.length) return host;
  const lines = host.split('\n');
  const keepNs = lines.filter((l) => /^\s*nameserver\s/.test(l) && (hostNet || !/\s(127\.|::1)/.test(l)));
  const out: string[] = [];
  const searchLine = search.length ? `search ${search.join(' ')}` : lines.find((l) => /^\s*search\s/.test(l));
  if (searchLine) out.push(searchLine.trim());
  if (dns.length) out.push(...dns.map((s) => `nameserver ${s}`));
  else out.push(...keepNs.map((l) => l.trim()));
  const optLine = options.length ? `options ${options.join(' ')}` : lines.find((l) => /^\s*options\s/.test(l));
  if (optLine) out.push(optLine.trim());
  return out.join('\n') + '\n';
}

let rlimits: ReturnType<typeof readDaemonRlimits> | undefined;
/** The daemon's own rlimits never change while it runs: read them once. */
function daemonRlimits(): ReturnType<typeof readDaemonRlimits> {
  rlimits ??= readDaemonRlimits();
  return rlimits;
}
