// What /info and /version report: the daemon's identity, host facts, storage and runtimes.
import os from 'node:os';
import { readFileSync } from 'node:fs';
import type { DaemonConfig } from './config.js';
import type { ContainerService } from '../containers/service.js';
import type { ImageStore } from '../images/store.js';
import type { OciRuntime } from '../runtime/oci-runtime.js';
import type { LayerStore } from '../layers/store.js';
import { API_VERSION, MIN_API_VERSION } from '../api/server.js';
import { NETWORK_DRIVERS } from '../network/drivers/driver.js';

export const BERTH_VERSION = '0.1.0';

export interface SystemFacts {
  id: string;
  config: DaemonConfig;
  containers: ContainerService;
  images: ImageStore;
  runtimes: Map<string, OciRuntime>;
  defaultRuntime: string;
  cgroupLayout: string;
  /** Notes on how the runtime was made to work on this host (shown as info warnings). */
  runtimeNotes: string[];
  runtimeVersions: Record<string, string>;
  /** The layer store, for Driver and DriverStatus. */
  layers?: LayerStore;
  /** Where the stores live: the data root, or `<data-root>/<uid>.<gid>` with userns-remap. */
  storeRoot?: string;
}

function osName(): string {
  try {
    const rel = readFileSync('/etc/os-release', 'utf8');
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(rel)?.[1] ?? 'Linux';
  } catch {
    return 'Linux';
  }
}

function arch(): string {
  return os.arch() === 'x64' ? 'x86_64' : os.arch() === 'arm64' ? 'aarch64' : os.arch();
}

export function versionInfo(f: SystemFacts): Record<string, unknown> {
  const components = [
    { Name: 'Engine', Version: BERTH_VERSION, Details: { ApiVersion: API_VERSION, Arch: os.arch() === 'x64' ? 'amd64' : os.arch(), BuildTime: '', Experimental: 'false', GitCommit: '', GoVersion: `node${process.versions.node}`, KernelVersion: os.release(), MinAPIVersion: MIN_API_VERSION, Os: 'linux' } },
    ...Object.entries(f.runtimeVersions).map(([name, v]) => ({ Name: name, Version: v, Details: {} })),
  ];
  return {
    Platform: { Name: 'Berth Engine' },
    Components: components,
    Version: BERTH_VERSION,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: '',
    GoVersion: `node${process.versions.node}`,
    Os: 'linux',
    Arch: os.arch() === 'x64' ? 'amd64' : os.arch(),
    KernelVersion: os.release(),
    BuildTime: '',
  };
}

export function systemInfo(f: SystemFacts): Record<string, unknown> {
  const all = f.containers.list();
  const count = (s: string) => all.filter((c) => c.State.Status === s).length;
  const runtimes: Record<string, unknown> = {};
  for (const [name, r] of f.runtimes) runtimes[name] = { path: r.spec.path };
  return {
    ID: f.id,
    Containers: all.length,
    ContainersRunning: count('running') + count('restarting'),
    ContainersPaused: count('paused'),
    ContainersStopped: all.length - count('running') - count('restarting') - count('paused'),
    Images: f.images.all().length,
    ...(f.layers?.driverStatus() ?? { Driver: 'overlay2', DriverStatus: null }),
    Plugins: { Volume: ['local'], Network: [...NETWORK_DRIVERS], Authorization: null, Log: ['json-file', 'local', 'none'] },
    MemoryLimit: true,
    SwapLimit: true,
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    CPUShares: true,
    CPUSet: true,
    PidsLimit: true,
    IPv4Forwarding: true,
    BridgeNfIptables: true,
    BridgeNfIp6tables: true,
    Debug: f.config.logLevel === 'debug',
    NFd: 0,
    OomKillDisable: true,
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: 'json-file',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: f.cgroupLayout === 'v2' ? '2' : '1',
    NEventsListener: 0,
    KernelVersion: os.release(),
    OperatingSystem: osName(),
    OSVersion: '',
    OSType: 'linux',
    Architecture: arch(),
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: { IndexConfigs: {}, InsecureRegistryCIDRs: ['127.0.0.0/8'], Mirrors: [] },
    NCPU: os.cpus().length,
    MemTotal: os.totalmem(),
    GenericResources: null,
    DockerRootDir: f.storeRoot ?? f.config.dataRoot,
    HttpProxy: '',
    HttpsProxy: '',
    NoProxy: '',
    Name: os.hostname(),
    Labels: f.config.labels,
    ExperimentalBuild: false,
    ServerVersion: BERTH_VERSION,
    Runtimes: runtimes,
    DefaultRuntime: f.defaultRuntime,
    Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
    LiveRestoreEnabled: f.config.liveRestore,
    Isolation: '',
    InitBinary: 'docker-init',
    ContainerdCommit: { ID: '' },
    RuncCommit: { ID: f.runtimeVersions[f.defaultRuntime] ?? '' },
    InitCommit: { ID: '' },
    SecurityOptions: ['name=seccomp,profile=builtin', ...(f.config.usernsRemap ? ['name=userns'] : [])],
    CDISpecDirs: [],
    Warnings: f.runtimeNotes,
  };
}
