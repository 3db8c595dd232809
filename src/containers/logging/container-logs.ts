// The container service's view of logging: the LogConfig a new container records, what conmon is
// told, rotation while a container runs (and after a live restore), and `docker logs` reading.
import { InvalidParameter } from '../../lib/errors.js';
import { readLogs, type LogEntry, type LogQuery } from '../logs.js';
import { policyOf, resolveLogConfig, type LogConfig } from './options.js';
import { LogRotator } from './rotator.js';

interface LoggedContainer {
  LogPath: string;
  HostConfig: { LogConfig?: { Type?: string; Config?: Record<string, string> } };
}

export const DEFAULT_LOG_CONFIG: LogConfig = { Type: 'json-file', Config: {} };

export class ContainerLogs {
  private readonly rotator: LogRotator;

  constructor(private readonly o: { defaults: () => LogConfig; warn: (msg: string) => void }) {
    this.rotator = new LogRotator({ warn: o.warn });
  }

  /** The LogConfig to record at create (throws InvalidParameter with Docker's words). */
  configFor(requested: { Type?: string; Config?: Record<string, string> } | undefined): LogConfig {
    return resolveLogConfig(requested, this.o.defaults());
  }

  /** conmon's `-l` driver for this container. */
  conmonDriver(c: LoggedContainer): 'k8s-file' | 'none' {
    return policyOf(c.HostConfig.LogConfig).driver === 'none' ? 'none' : 'k8s-file';
  }

  /** conmon runs (started, or found alive at restore): keep its log within bounds. */
  running(c: LoggedContainer, ctl: string): void {
    let policy;
    try {
      policy = policyOf(c.HostConfig.LogConfig);
    } catch (err) {
      this.o.warn(`log options of ${c.LogPath}: ${(err as Error).message}`);
      return;
    }
    this.rotator.track({ live: c.LogPath, ctl, policy });
  }

  /** conmon is gone: nothing writes the log any more. */
  exited(c: LoggedContainer): void {
    this.rotator.untrack(c.LogPath);
  }

  read(c: LoggedContainer, q: LogQuery, stopped: () => boolean, stoppedEvent?: Promise<unknown>): AsyncGenerator<LogEntry> {
    if (!this.readable(c)) {
      throw new InvalidParameter('configured logging driver does not support reading');
    }
    return readLogs(c.LogPath, q, stopped, {
      lock: (fn) => this.rotator.withLock(c.LogPath, fn),
      beforeRead: () => this.rotator.check(c.LogPath),
      stopped: stoppedEvent,
    });
  }

  readable(c: LoggedContainer): boolean {
    return policyOf(c.HostConfig.LogConfig).readable;
  }

  close(): void {
    this.rotator.close();
  }
}
