// Engine API shapes for containers (moby api/swagger.yaml ContainerSummary and
// ContainerInspectResponse), built from the domain's records at the API edge.
import type { ContainerRecord } from '../../containers/model.js';
import { apiState, statusText } from '../../containers/model.js';
import type { NetworkController } from '../../network/controller.js';
import { networkSettingsOut, summaryNetworkOut } from './network.js';
import { apiMountPoint } from '../../volumes/mount-point.js';

export interface ContainerExtras {
  imageName: string;
  graphDriver: { Name: string; Data: Record<string, string> | null };
  sizeRw?: number;
  sizeRootFs?: number;
  network?: NetworkController;
}

export function toSummary(c: ContainerRecord, x: { sizeRw?: number; sizeRootFs?: number; network?: NetworkController }): Record<string, unknown> {
  const out: Record<string, unknown> = {
    Id: c.Id,
    Names: [c.Name],
    Image: c.Config.Image ?? '',
    ImageID: c.Image,
    Command: [c.Path, ...c.Args].join(' '),
    Created: Math.floor(Date.parse(c.Created) / 1000),
    Labels: c.Config.Labels ?? {},
    State: c.State.Status,
    Status: statusText(c.State),
    HostConfig: { NetworkMode: c.HostConfig.NetworkMode ?? 'default' },
    ...summaryNetworkOut(c, x.network),
    Mounts: (c.MountPoints ?? []).map(apiMountPoint),
  };
  if (x.sizeRw !== undefined) out.SizeRw = x.sizeRw;
  if (x.sizeRootFs !== undefined) out.SizeRootFs = x.sizeRootFs;
  return out;
}

export function toInspect(c: ContainerRecord, x: ContainerExtras): Record<string, unknown> {
  const out: Record<string, unknown> = {
    Id: c.Id,
    Created: c.Created,
    Path: c.Path,
    Args: c.Args,
    State: apiState(c.State),
    Image: c.Image,
    ResolvConfPath: c.ResolvConfPath,
    HostnamePath: c.HostnamePath,
    HostsPath: c.HostsPath,
    LogPath: c.LogPath,
    Name: c.Name,
    RestartCount: c.RestartCount,
    Driver: c.Driver,
    Platform: c.Platform,
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: c.ExecIDs.length ? c.ExecIDs : null,
    HostConfig: hostConfigOut(c),
    GraphDriver: x.graphDriver,
    Mounts: (c.MountPoints ?? []).map(apiMountPoint),
    Config: configOut(c),
    NetworkSettings: networkSettingsOut(c, x.network),
  };
  if (x.sizeRw !== undefined) out.SizeRw = x.sizeRw;
  if (x.sizeRootFs !== undefined) out.SizeRootFs = x.sizeRootFs;
  return out;
}

const CONFIG_DEFAULTS = {
  Hostname: '',
  Domainname: '',
  User: '',
  AttachStdin: false,
  AttachStdout: false,
  AttachStderr: false,
  Tty: false,
  OpenStdin: false,
  StdinOnce: false,
  Env: null,
  Cmd: null,
  Image: '',
  Volumes: null,
  WorkingDir: '',
  Entrypoint: null,
  OnBuild: null,
  Labels: {},
};

function configOut(c: ContainerRecord): Record<string, unknown> {
  return { ...CONFIG_DEFAULTS, ...c.Config };
}

const HOST_CONFIG_DEFAULTS = {
  Binds: null,
  ContainerIDFile: '',
  LogConfig: { Type: 'json-file', Config: {} },
  NetworkMode: 'default',
  PortBindings: {},
  RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
  AutoRemove: false,
  VolumeDriver: '',
  VolumesFrom: null,
  ConsoleSize: [0, 0],
  CapAdd: null,
  CapDrop: null,
  CgroupnsMode: 'host',
  Dns: [],
  DnsOptions: [],
  DnsSearch: [],
  ExtraHosts: null,
  GroupAdd: null,
  IpcMode: 'private',
  Cgroup: '',
  Links: null,
  OomScoreAdj: 0,
  PidMode: '',
  Privileged: false,
  PublishAllPorts: false,
  ReadonlyRootfs: false,
  SecurityOpt: null,
  UTSMode: '',
  UsernsMode: '',
  ShmSize: 67108864,
  Runtime: 'runc',
  Isolation: '',
  CpuShares: 0,
  Memory: 0,
  NanoCpus: 0,
  CgroupParent: '',
  BlkioWeight: 0,
  BlkioWeightDevice: [],
  BlkioDeviceReadBps: [],
  BlkioDeviceWriteBps: [],
  BlkioDeviceReadIOps: [],
  BlkioDeviceWriteIOps: [],
  CpuPeriod: 0,
  CpuQuota: 0,
  CpuRealtimePeriod: 0,
  CpuRealtimeRuntime: 0,
  CpusetCpus: '',
  CpusetMems: '',
  Devices: [],
  DeviceCgroupRules: null,
  DeviceRequests: null,
  MemoryReservation: 0,
  MemorySwap: 0,
  MemorySwappiness: null,
  OomKillDisable: null,
  PidsLimit: null,
  Ulimits: [],
  CpuCount: 0,
  CpuPercent: 0,
  IOMaximumIOps: 0,
  IOMaximumBandwidth: 0,
  MaskedPaths: null,
  ReadonlyPaths: null,
};

function hostConfigOut(c: ContainerRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { ...HOST_CONFIG_DEFAULTS };
  for (const [k, v] of Object.entries(c.HostConfig)) if (v !== undefined) out[k] = v;
  return out;
}
