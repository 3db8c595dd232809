// Turns a container's Docker configuration into the OCI runtime config.json dockerd would write:
// the one entry point of oci-spec/. Each concern lives in its own module; this file only decides
// the order (capabilities before seccomp, user mounts after defaults) and what depends on what.
import { existsSync } from 'node:fs';
import { InvalidParameter } from '../../lib/errors.js';
import {
  loadDefaultProfile,
  loadProfileFile,
  parseProfile,
  toOciSeccomp,
  type DockerSeccompProfile,
} from '../../runtime/seccomp.js';
import { toOciCapabilities, tweakCapabilities } from './capabilities.js';
import { buildDevices } from './devices.js';
import { containerEnvironment } from './env.js';
import { detectHostFacts } from './host-facts.js';
import { choosePaths, defaultMaskedPaths, DEFAULT_READONLY_PATHS } from './masked-paths.js';
import { buildMounts, DEFAULT_SHM_SIZE } from './mounts.js';
import { buildNamespaces, isHostNamespace, namespaceModes } from './namespaces.js';
import { buildResources } from './resources.js';
import { buildRlimits } from './rlimits.js';
import { parseSecurityOpts, type SeccompChoice } from './security-opts.js';
import { buildSysctls } from './sysctls.js';
import type { ContainerConfig, HostConfig, HostFacts, OciMount, OciProcess, OciSeccomp, OciSpec, SpecContext } from './types.js';
import { resolveUser } from './user.js';

/** Where dockerd puts the init binary inside the container (`--init`). */
export const IN_CONTAINER_INIT_PATH = '/sbin/docker-init';

// runc 1.1 and crun 1.8 both read this version; the fields used are all in runtime-spec 1.0.
const OCI_VERSION = '1.0.2-dev';

export interface BuiltSpec {
  spec: OciSpec;
  /** Messages Docker returns as the create response's Warnings. */
  warnings: string[];
}

export function buildSpec(config: ContainerConfig, hostConfig: HostConfig, ctx: SpecContext): BuiltSpec {
  const host = ctx.host ?? detectHostFacts();
  const hc = hostConfig;
  const warnings: string[] = [];
  const privileged = hc.Privileged === true;
  const modes = namespaceModes(hc);
  const security = parseSecurityOpts(hc.SecurityOpt);
  const netHost = isHostNamespace('net', modes, ctx);
  const ipcHost = isHostNamespace('ipc', modes, ctx);
  const utsHost = isHostNamespace('uts', modes, ctx);
  const pidPrivate = !isHostNamespace('pid', modes, ctx) && modes.pid !== 'container';

  let args = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
  if (args.length === 0) throw new InvalidParameter('No command specified');
  const internalMounts: OciMount[] = [];
  // An init only makes sense as PID 1 of a namespace of the container's own.
  if (hc.Init === true && pidPrivate) {
    if (!ctx.initPath) throw new InvalidParameter('--init requested but no init binary (catatonit or tini) was found');
    args = [IN_CONTAINER_INIT_PATH, '--', ...args];
    internalMounts.push({ destination: IN_CONTAINER_INIT_PATH, type: 'bind', source: ctx.initPath, options: ['bind', 'ro'] });
  }

  // dockerd fills Config.Hostname at create: the short id, or the host's name with --network host.
  const hostname = config.Hostname || (netHost ? host.hostname : ctx.containerId.slice(0, 12));
  const caps = tweakCapabilities(hc.CapAdd, hc.CapDrop, privileged, {
    capLastCap: host.capLastCap,
    daemonCaps: host.daemonCaps,
  });
  const proc: OciProcess = {
    terminal: config.Tty === true,
    user: resolveUser(config.User, ctx.passwd, ctx.group),
    args,
    env: containerEnvironment(hostname, config.Tty === true, config.Env),
    cwd: config.WorkingDir || '/',
    capabilities: toOciCapabilities(caps),
  };
  const rlimits = buildRlimits(hc.Ulimits, ctx.daemonRlimits);
  if (rlimits) proc.rlimits = rlimits;
  if (security.noNewPrivileges) proc.noNewPrivileges = true;

  const userMounts = [...(ctx.mounts ?? [])];
  // --ipc=host shares the host's /dev/shm, as dockerd's IpcMounts do.
  if (modes.ipc === 'host' && !userMounts.some((m) => m.destination === '/dev/shm')) {
    userMounts.push({ destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'rprivate'] });
  }
  const mounts = buildMounts({
    userMounts,
    tmpfs: hc.Tmpfs,
    shmSize: hc.ShmSize && hc.ShmSize > 0 ? hc.ShmSize : DEFAULT_SHM_SIZE,
    ipcNone: modes.ipc === 'none',
    readonlyRootfs: hc.ReadonlyRootfs === true,
    privileged,
    internal: internalMounts,
  });

  const { devices, rules } = buildDevices({ privileged, mappings: hc.Devices ?? [] });
  const resources = { devices: rules, ...buildResources(hc, host, warnings) };
  // A user namespace the runtime makes owns the network namespace made with it; one the daemon
  // made (ctx.userns.path) owns the daemon's netns. Otherwise the host's owns it.
  const foreignNet = !!ctx.userns && !ctx.userns.path && !!ctx.nsPaths?.net;
  const sysctl = buildSysctls({
    domainname: config.Domainname ?? '',
    privateNet: !netHost,
    privateIpc: !ipcHost,
    privateUts: !utsHost,
    ownNet: !netHost && modes.net !== 'container',
    userns: !!ctx.userns,
    foreignNet,
    user: hc.Sysctls,
    sysctlExists: host.sysctlExists,
  });

  const spec: OciSpec = {
    ociVersion: OCI_VERSION,
    process: proc,
    root: { path: ctx.rootfs, readonly: hc.ReadonlyRootfs === true },
    mounts,
    linux: {
      // Docker keeps the host's cgroup namespace on v1 and hybrid hosts, a private one on v2.
      namespaces: buildNamespaces(modes, ctx, host.cgroupVersion === 2),
      devices,
      resources,
      cgroupsPath: ctx.cgroupsPath,
    },
  };
  if (ctx.userns) {
    // In a network namespace the host's user namespace owns, the kernel refuses a sysfs mount from
    // the container's: the host's /sys is bound read-only instead, as for rootless containers.
    // The same holds for mqueue in the host's IPC namespace (--ipc host): the host's is bound
    // when the host has one mounted, and left out when not.
    const hostMqueue = ipcHost && existsSync('/dev/mqueue');
    spec.mounts = spec.mounts.flatMap((m): OciMount[] => {
      if (m.type === 'sysfs' && m.destination === '/sys' && foreignNet) return [{ destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] }];
      if (m.type === 'mqueue' && ipcHost) return hostMqueue ? [{ destination: m.destination, type: 'bind', source: '/dev/mqueue', options: ['rbind', 'nosuid', 'noexec', 'nodev'] }] : [];
      return [m];
    });
    spec.linux.uidMappings = ctx.userns.uidMappings.map((m) => ({ ...m }));
    spec.linux.gidMappings = ctx.userns.gidMappings.map((m) => ({ ...m }));
  }
  if (!utsHost) spec.hostname = hostname;
  if (Object.keys(sysctl).length) spec.linux.sysctl = sysctl;
  const masked = choosePaths(hc.MaskedPaths, defaultMaskedPaths(host.thermalThrottlePaths), privileged);
  const readonly = choosePaths(hc.ReadonlyPaths, DEFAULT_READONLY_PATHS, privileged);
  if (masked.length) spec.linux.maskedPaths = masked;
  if (readonly.length) spec.linux.readonlyPaths = readonly;
  const seccomp = chooseSeccomp(security.seccomp, privileged, caps, host, ctx.seccompProfilePath);
  if (seccomp) spec.linux.seccomp = seccomp;
  return { spec, warnings };
}

/** moby's WithSeccomp: unconfined and privileged containers get no filter unless a custom one is given. */
function chooseSeccomp(
  choice: SeccompChoice,
  privileged: boolean,
  bounding: string[],
  host: HostFacts,
  defaultPath: string | undefined,
): OciSeccomp | undefined {
  if (choice.kind === 'unconfined') return undefined;
  const custom = choice.kind === 'json' || choice.kind === 'file';
  if (privileged && !custom) return undefined;
  if (!host.seccomp) {
    if (custom) throw new InvalidParameter('seccomp is not enabled in your kernel, cannot run a custom seccomp profile');
    return undefined;
  }
  let profile: DockerSeccompProfile;
  if (choice.kind === 'json') profile = parseProfile(choice.body);
  else if (choice.kind === 'file') profile = loadProfileFile(choice.path);
  else profile = loadDefaultProfile(defaultPath);
  return toOciSeccomp(profile, { bounding, nodeArch: host.arch, kernelRelease: host.kernelRelease });
}

const U64_MAX_FLOAT = 18446744073709551615;
const U64_MARK = '\u0000u64max\u0000';

/**
 * config.json text. JSON numbers in JS cannot spell 2^64-1 (an unlimited rlimit), which the
 * runtimes read as uint64, so that one value is written out by hand.
 */
export function specToJson(spec: OciSpec): string {
  const text = JSON.stringify(spec, (_k, v: unknown) => (v === U64_MAX_FLOAT ? U64_MARK : v), 2);
  return text.replaceAll(JSON.stringify(U64_MARK), '18446744073709551615');
}
