// The inputs of OCI spec generation (the Engine API's ContainerConfig and HostConfig fields it
// reads, plus what the caller has already resolved) and the OCI runtime-spec shapes it produces.
// Only the fields Berth writes are modelled; names follow the runtime-spec JSON exactly.
import type { OciSeccomp } from '../../runtime/seccomp.js';

export type { OciSeccomp, OciSyscall, OciSeccompArg } from '../../runtime/seccomp.js';

/** Engine API `ContainerConfig`, restricted to the fields that shape the runtime spec. */
export interface ContainerConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  WorkingDir?: string;
  Tty?: boolean;
  OpenStdin?: boolean;
  StopSignal?: string;
  Labels?: Record<string, string> | null;
}

export interface Ulimit {
  Name: string;
  Soft: number;
  Hard: number;
}

export interface DeviceMapping {
  PathOnHost: string;
  PathInContainer: string;
  CgroupPermissions: string;
}

/** Engine API `HostConfig`, restricted to the fields that shape the runtime spec. */
export interface HostConfig {
  Privileged?: boolean;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  ReadonlyRootfs?: boolean;
  SecurityOpt?: string[] | null;
  Init?: boolean | null;
  Memory?: number;
  MemorySwap?: number;
  MemoryReservation?: number;
  NanoCpus?: number;
  CpuShares?: number;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  PidsLimit?: number | null;
  Ulimits?: Ulimit[] | null;
  BlkioWeight?: number;
  OomKillDisable?: boolean | null;
  Sysctls?: Record<string, string> | null;
  Tmpfs?: Record<string, string> | null;
  ShmSize?: number;
  Devices?: DeviceMapping[] | null;
  IpcMode?: string;
  PidMode?: string;
  UTSMode?: string;
  NetworkMode?: string;
  /** null/undefined: Docker's defaults; an array (even empty) replaces them. */
  ReadonlyPaths?: string[] | null;
  MaskedPaths?: string[] | null;
}

export type NamespaceKind = 'net' | 'ipc' | 'pid' | 'uts';

export interface RlimitValue {
  soft: number;
  hard: number;
}

/** What the caller resolved before asking for a spec. */
export interface SpecContext {
  containerId: string;
  rootfs: string;
  cgroupsPath: string;
  /** Binds, volumes and the prepared /etc/hosts, /etc/resolv.conf, /etc/hostname files. */
  mounts?: OciMount[];
  /** Namespaces to join: `container:<id>` modes and a daemon-made network namespace. */
  nsPaths?: Partial<Record<NamespaceKind, string>>;
  /** Namespaces shared with the host (omitted from the spec). */
  hostNamespaces?: Set<NamespaceKind>;
  /** Host path of catatonit or tini-static; required when HostConfig.Init is true. */
  initPath?: string;
  /** Contents of the image's /etc/passwd and /etc/group; undefined when the files are absent. */
  passwd?: string;
  group?: string;
  /** The daemon's own rlimits by lower-case name (`nofile`, `nproc` …); see readDaemonRlimits. */
  daemonRlimits?: Record<string, RlimitValue>;
  /** Docker's default seccomp profile file (daemon.json `seccomp-profile`); Berth's copy by default. */
  seccompProfilePath?: string;
  /** Facts about this host; detected (and cached) when omitted. Tests pass their own. */
  host?: HostFacts;
  /**
   * userns-remap: the container gets a user namespace with these mappings, or joins the one at
   * `path` (made by the daemon with the same mappings; the network namespace it owns is then the
   * container's own: sysfs and network sysctls work).
   */
  userns?: { uidMappings: OciIdMapping[]; gidMappings: OciIdMapping[]; path?: string };
}

/** Facts about the host that change what Docker puts in a spec. */
export interface HostFacts {
  /** /proc/sys/kernel/cap_last_cap */
  capLastCap: number;
  /** Node's process.arch (x64, arm64 …); seccomp maps it to profile names. */
  arch: string;
  /** The daemon's effective capabilities (CapEff) as a bit mask. */
  daemonCaps?: bigint;
  /** Kernel release, for seccomp `minKernel`. */
  kernelRelease: string;
  cgroupVersion: 1 | 2;
  blkioWeight: boolean;
  swapLimit: boolean;
  cpuCount: number;
  seccomp: boolean;
  /** Optional per-CPU thermal_throttle directories Docker masks when they exist. */
  thermalThrottlePaths: string[];
  /** Whether the named /proc/sys entry exists (Docker adds two net sysctls only if they do). */
  sysctlExists: (name: string) => boolean;
  hostname: string;
}

// ---- OCI runtime-spec shapes ----

export interface OciMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

export interface OciUser {
  uid: number;
  gid: number;
  additionalGids?: number[];
  umask?: number;
}

export interface OciCapabilities {
  bounding: string[];
  effective: string[];
  permitted: string[];
  inheritable?: string[];
  ambient?: string[];
}

export interface OciRlimit {
  type: string;
  hard: number;
  soft: number;
}

export interface OciProcess {
  terminal: boolean;
  user: OciUser;
  args: string[];
  env: string[];
  cwd: string;
  capabilities: OciCapabilities;
  rlimits?: OciRlimit[];
  noNewPrivileges?: boolean;
  oomScoreAdj?: number;
}

export interface OciNamespace {
  type: 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup';
  path?: string;
}

export interface OciDevice {
  type: 'c' | 'b' | 'u' | 'p';
  path: string;
  major: number;
  minor: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface OciDeviceCgroup {
  allow: boolean;
  type?: 'a' | 'c' | 'b';
  major?: number;
  minor?: number;
  access?: string;
}

export interface OciResources {
  devices: OciDeviceCgroup[];
  memory?: {
    limit?: number;
    reservation?: number;
    swap?: number;
    disableOOMKiller?: boolean;
  };
  cpu?: {
    shares?: number;
    quota?: number;
    period?: number;
    cpus?: string;
    mems?: string;
  };
  pids?: { limit: number };
  blockIO?: { weight?: number };
}

/** One line of a user namespace's uid_map or gid_map. */
export interface OciIdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface OciLinux {
  namespaces: OciNamespace[];
  uidMappings?: OciIdMapping[];
  gidMappings?: OciIdMapping[];
  devices: OciDevice[];
  resources: OciResources;
  cgroupsPath: string;
  sysctl?: Record<string, string>;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  seccomp?: OciSeccomp;
  rootfsPropagation?: string;
}

export interface OciSpec {
  ociVersion: string;
  process: OciProcess;
  root: { path: string; readonly: boolean };
  hostname?: string;
  mounts: OciMount[];
  linux: OciLinux;
  annotations?: Record<string, string>;
}
