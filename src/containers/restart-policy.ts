// Docker's restart policies as a pure decision: should an exited container be started again,
// and after how long. The delay doubles from 100 ms and resets after 10 s of healthy running.
import { InvalidParameter } from '../lib/errors.js';

export interface RestartPolicy {
  Name?: string;
  MaximumRetryCount?: number;
}

export interface ExitFacts {
  exitCode: number;
  restartCount: number;
  manuallyStopped: boolean;
  /** True when the daemon itself is shutting down or starting up. */
  daemonStarting?: boolean;
}

export function validateRestartPolicy(p: RestartPolicy | undefined, autoRemove: boolean): void {
  const name = p?.Name ?? '';
  if (!['', 'no', 'always', 'unless-stopped', 'on-failure'].includes(name)) {
    throw new InvalidParameter(`invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  }
  if ((p?.MaximumRetryCount ?? 0) < 0) throw new InvalidParameter('invalid restart policy: maximum retry count cannot be negative');
  if (name !== 'on-failure' && (p?.MaximumRetryCount ?? 0) > 0) {
    throw new InvalidParameter(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
  }
  if (autoRemove && name !== '' && name !== 'no') {
    throw new InvalidParameter(`can't create 'AutoRemove' container with restart policy`);
  }
}

export function shouldRestart(p: RestartPolicy | undefined, f: ExitFacts): boolean {
  const name = p?.Name ?? 'no';
  if (f.manuallyStopped) return false;
  switch (name) {
    case 'always':
      return true;
    case 'unless-stopped':
      return true;
    case 'on-failure': {
      const max = p?.MaximumRetryCount ?? 0;
      return f.exitCode !== 0 && (max === 0 || f.restartCount < max);
    }
    default:
      return false;
  }
}

/** Whether the daemon restarts the container when it starts up (live restore or a reboot). */
export function restartOnDaemonStart(p: RestartPolicy | undefined, manuallyStopped: boolean): boolean {
  const name = p?.Name ?? 'no';
  return name === 'always' || (name === 'unless-stopped' && !manuallyStopped);
}

export function backoffMs(consecutiveFailures: number): number {
  return Math.min(100 * 2 ** consecutiveFailures, 60_000);
}
