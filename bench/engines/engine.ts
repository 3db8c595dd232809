// What a container engine under test offers the scenarios: its CLI command lines, the processes
// that make up the daemon and the per-container monitors, and bulk start/remove of containers.
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { must, sleep, type Command } from '../proc.js';
import { ping } from '../engine-api.js';

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

/**
 * Waits (50 ms steps, up to `attempts`) until a daemon started as `proc` answers /_ping on
 * `socket`, then imports the busybox tar through the docker CLI; failures carry its log file.
 */
export async function awaitDaemon(o: { name: string; proc: ChildProcess; socket: string; logFile: string; attempts: number; busyboxTar: string; env: NodeJS.ProcessEnv }): Promise<void> {
  const log = () => (existsSync(o.logFile) ? readFileSync(o.logFile, 'utf8') : '');
  for (let i = 0; i < o.attempts && !(await ping(o.socket)); i++) {
    if (o.proc.exitCode !== null) throw new Error(`${o.name} exited with ${o.proc.exitCode}:\n${log()}`);
    await sleep(50);
  }
  if (!(await ping(o.socket))) throw new Error(`${o.name} did not answer /_ping:\n${log()}`);
  await must({ cmd: DOCKER_CLI, args: ['import', o.busyboxTar, 'busybox:latest'], env: o.env });
}
