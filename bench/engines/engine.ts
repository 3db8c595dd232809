// What a container engine under test offers the scenarios: its CLI command lines, the processes
// that make up the daemon and the per-container monitors, and bulk start/remove of containers.
import type { Command } from '../proc.js';

export interface Engine {
  /** Row label: berthd, dockerd, podman. */
  readonly name: string;
  /** Temp directory holding everything this instance makes (removed at clean-up). */
  readonly root: string;
  /** Starts the daemon (if any) in temp dirs and imports the busybox image; registers clean-up. */
  start(busyboxTar: string): Promise<void>;
  /** The engine's own CLI with these arguments, aimed at this instance. */
  cli(args: string[]): Command;
  /** Processes that make up the daemon (for RSS); empty for a daemonless engine. */
  daemonPids(): Promise<number[]>;
  /** Per-container processes outside the daemon: conmon, containerd shims. */
  monitorPids(): Promise<number[]>;
  /** Starts `n` detached `busybox sleep 3600` containers with at most `concurrency` in flight. */
  startSleepers(n: number, concurrency: number): Promise<void>;
  removeAllContainers(concurrency: number): Promise<void>;
}

export const DOCKER_CLI = '/usr/local/bin/docker';
