// A container's record and its state machine. The record is what config.v2.json holds; the state
// moves only along the transitions listed in TRANSITIONS, so an illegal sequence fails loudly.
import { Conflict } from '../lib/errors.js';
import { humanDuration } from '../lib/human-duration.js';
import type { MountPoint } from '../volumes/mount-point.js';

export type Status = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

const TRANSITIONS: Record<Status, Status[]> = {
  created: ['running', 'exited', 'removing', 'dead'],
  running: ['paused', 'exited', 'restarting', 'dead', 'running'],
  paused: ['running', 'exited', 'dead'],
  restarting: ['running', 'exited', 'removing', 'dead'],
  exited: ['running', 'restarting', 'removing', 'dead'],
  removing: ['dead', 'exited'],
  dead: ['removing'],
};

export interface HealthState {
  Status: 'starting' | 'healthy' | 'unhealthy' | 'none';
  FailingStreak: number;
  Log: { Start: string; End: string; ExitCode: number; Output: string }[];
}

export interface ContainerState {
  Status: Status;
  Pid: number;
  ExitCode: number;
  Error: string;
  OOMKilled: boolean;
  StartedAt: string;
  FinishedAt: string;
  Health?: HealthState;
}

/** Config and HostConfig are kept in the Engine API's own shapes, as Docker keeps them. */
export type ApiConfig = Record<string, unknown> & {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  Image?: string;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  StopTimeout?: number | null;
  ExposedPorts?: Record<string, object> | null;
  Volumes?: Record<string, object> | null;
  Healthcheck?: Record<string, unknown> | null;
};

export type ApiHostConfig = Record<string, unknown> & {
  AutoRemove?: boolean;
  NetworkMode?: string;
  RestartPolicy?: { Name?: string; MaximumRetryCount?: number };
  Init?: boolean | null;
  LogConfig?: { Type?: string; Config?: Record<string, string> };
  Runtime?: string;
};

export interface ContainerRecord {
  Id: string;
  Name: string;
  Created: string;
  Path: string;
  Args: string[];
  Config: ApiConfig;
  HostConfig: ApiHostConfig;
  /** Image ID (sha256:…) the container was created from. */
  Image: string;
  State: ContainerState;
  RestartCount: number;
  Driver: string;
  Platform: string;
  LogPath: string;
  ResolvConfPath: string;
  HostnamePath: string;
  HostsPath: string;
  /** Runtime name (crun, runc) the container was started with. */
  Runtime: string;
  HasBeenStartedBefore: boolean;
  HasBeenManuallyStopped: boolean;
  ExecIDs: string[];
  /** Binds, volumes and tmpfs mounts resolved at create (src/volumes/container-mounts.ts). */
  MountPoints?: MountPoint[];
}

export function transition(c: ContainerRecord, to: Status): void {
  const from = c.State.Status;
  if (!TRANSITIONS[from].includes(to)) {
    throw new Conflict(`container ${c.Id.slice(0, 12)} cannot go from ${from} to ${to}`);
  }
  c.State.Status = to;
}

export function isRunning(c: ContainerRecord): boolean {
  return c.State.Status === 'running' || c.State.Status === 'paused' || c.State.Status === 'restarting';
}

export function newState(): ContainerState {
  return {
    Status: 'created',
    Pid: 0,
    ExitCode: 0,
    Error: '',
    OOMKilled: false,
    StartedAt: '0001-01-01T00:00:00Z',
    FinishedAt: '0001-01-01T00:00:00Z',
  };
}

/** The API's State object (with the derived booleans Docker sends). */
export function apiState(s: ContainerState): Record<string, unknown> {
  return {
    Status: s.Status,
    Running: s.Status === 'running' || s.Status === 'paused' || s.Status === 'restarting',
    Paused: s.Status === 'paused',
    Restarting: s.Status === 'restarting',
    OOMKilled: s.OOMKilled,
    Dead: s.Status === 'dead',
    Pid: s.Pid,
    ExitCode: s.ExitCode,
    Error: s.Error,
    StartedAt: s.StartedAt,
    FinishedAt: s.FinishedAt,
    ...(s.Health ? { Health: s.Health } : {}),
  };
}

/** The human status `docker ps` shows: "Up 5 minutes (healthy)", "Exited (3) 2 seconds ago". */
export function statusText(s: ContainerState, now = Date.now()): string {
  const since = (t: string) => humanDuration(now - Date.parse(t));
  switch (s.Status) {
    case 'running': {
      const h = s.Health && s.Health.Status !== 'none' ? ` (${s.Health.Status === 'starting' ? 'health: starting' : s.Health.Status})` : '';
      return `Up ${since(s.StartedAt)}${h}`;
    }
    case 'paused':
      return `Up ${since(s.StartedAt)} (Paused)`;
    case 'restarting':
      return `Restarting (${s.ExitCode}) ${since(s.FinishedAt)} ago`;
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    case 'created':
      return 'Created';
    case 'exited':
      return s.FinishedAt.startsWith('0001') ? 'Created' : `Exited (${s.ExitCode}) ${since(s.FinishedAt)} ago`;
  }
}
