// The health-check state machine, kept pure so it can be tested without a container: the
// effective check (image merged with container, defaults applied), the probe schedule, and how a
// probe's result moves State.Health between starting, healthy and unhealthy (moby daemon/health.go).
import { InvalidParameter } from '../lib/errors.js';
import { formatGoDuration } from '../build/parser/go-duration.js';
import type { HealthState } from './model.js';

/** Healthcheck as the Engine API carries it (durations in nanoseconds, 0 meaning the default). */
export interface ApiHealthcheck {
  Test?: string[] | null;
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

export const DEFAULTS = {
  intervalMs: 30_000,
  timeoutMs: 30_000,
  startPeriodMs: 0,
  startIntervalMs: 5_000,
  retries: 3,
} as const;

/** Docker keeps this much of a probe's output, then adds "...". */
export const MAX_OUTPUT_BYTES = 4096;
/** Entries kept in State.Health.Log. */
export const MAX_LOG_ENTRIES = 5;
const MINIMUM_DURATION_NS = 1_000_000;

export interface EffectiveCheck {
  /** `cmd` execs Test[1:] as is; `shell` runs Test[1:] through the container's shell. */
  kind: 'cmd' | 'shell';
  args: string[];
  intervalMs: number;
  timeoutMs: number;
  /** The timeout as Docker prints it in "Health check exceeded timeout (…)". */
  timeoutText: string;
  startPeriodMs: number;
  startIntervalMs: number;
  retries: number;
}

export type ProbeResult = HealthState['Log'][number];

const nsOrDefault = (ns: number | undefined, defMs: number): number => (ns ? ns / 1e6 : defMs);

/** The check to run, or undefined when there is none (no config, empty Test, NONE, unknown type). */
export function effectiveCheck(hc: ApiHealthcheck | null | undefined): EffectiveCheck | undefined {
  const test = hc?.Test;
  if (!hc || !test || test.length === 0) return undefined;
  let kind: EffectiveCheck['kind'];
  if (test[0] === 'CMD') kind = 'cmd';
  else if (test[0] === 'CMD-SHELL') kind = 'shell';
  else return undefined;
  const timeoutMs = nsOrDefault(hc.Timeout, DEFAULTS.timeoutMs);
  return {
    kind,
    args: test.slice(1),
    intervalMs: nsOrDefault(hc.Interval, DEFAULTS.intervalMs),
    timeoutMs,
    timeoutText: formatGoDuration(Math.round(timeoutMs * 1e6)),
    startPeriodMs: nsOrDefault(hc.StartPeriod, DEFAULTS.startPeriodMs),
    startIntervalMs: nsOrDefault(hc.StartInterval, DEFAULTS.startIntervalMs),
    retries: hc.Retries && hc.Retries > 0 ? hc.Retries : DEFAULTS.retries,
  };
}

/** The probe's argv: CMD-SHELL goes through the container's SHELL, or /bin/sh -c. */
export function probeArgv(check: EffectiveCheck, shell: string[] | null | undefined): string[] {
  return check.kind === 'shell' ? [...(shell && shell.length ? shell : ['/bin/sh', '-c']), ...check.args] : check.args;
}

/**
 * Docker's create-time merge: with a container check present, its zero fields take the image's
 * values; without one, the image's check is used whole.
 */
export function mergeHealthcheck(user: ApiHealthcheck | null | undefined, image: ApiHealthcheck | null | undefined): ApiHealthcheck | null | undefined {
  if (!image) return user;
  if (!user) return image;
  const out: ApiHealthcheck = { ...user };
  if (!out.Test || out.Test.length === 0) out.Test = image.Test;
  if (!out.Interval) out.Interval = image.Interval;
  if (!out.Timeout) out.Timeout = image.Timeout;
  if (!out.StartPeriod) out.StartPeriod = image.StartPeriod;
  if (!out.StartInterval) out.StartInterval = image.StartInterval;
  if (!out.Retries) out.Retries = image.Retries;
  return out;
}

/** Docker's checks at create (400 with its messages). */
export function validateHealthcheck(hc: ApiHealthcheck | null | undefined): void {
  if (!hc) return;
  const min = formatGoDuration(MINIMUM_DURATION_NS);
  const tooShort = (v: number | undefined) => !!v && v < MINIMUM_DURATION_NS;
  if (tooShort(hc.Interval)) throw new InvalidParameter(`Interval in Healthcheck cannot be less than ${min}`);
  if (tooShort(hc.Timeout)) throw new InvalidParameter(`Timeout in Healthcheck cannot be less than ${min}`);
  if ((hc.Retries ?? 0) < 0) throw new InvalidParameter('Retries in Healthcheck cannot be negative');
  if (tooShort(hc.StartPeriod)) throw new InvalidParameter(`StartPeriod in Healthcheck cannot be less than ${min}`);
  if (tooShort(hc.StartInterval)) throw new InvalidParameter(`StartInterval in Healthcheck cannot be less than ${min}`);
}

/** (Re)start: status back to starting, streak cleared, the old log kept. */
export function startingHealth(prev: HealthState | undefined): HealthState {
  return { Status: 'starting', FailingStreak: 0, Log: prev?.Log ?? [] };
}

/** The monitor stopped (exit, pause): Docker reports unhealthy from then on, without an event. */
export function stoppedHealth(h: HealthState): void {
  h.Status = 'unhealthy';
}

/**
 * Delay before the next probe, measured from the end of the previous one. During the start
 * period a still-starting container is probed every start interval, and the first probe after
 * the start period is never later than its end.
 */
export function nextDelayMs(check: EffectiveCheck, elapsedSinceStartMs: number, status: HealthState['Status']): number {
  if (elapsedSinceStartMs >= check.startPeriodMs) return check.intervalMs;
  const remaining = check.startPeriodMs - elapsedSinceStartMs;
  if (remaining < check.intervalMs) return remaining;
  return status === 'starting' ? check.startIntervalMs : check.intervalMs;
}

/**
 * Records one probe result. Success clears the streak and makes the container healthy; a failure
 * while still starting inside the start period does not count; otherwise the streak grows and
 * reaching `retries` makes it unhealthy. Returns the new status when it changed.
 */
export function applyProbeResult(h: HealthState, result: ProbeResult, check: EffectiveCheck, startedAt: string): HealthState['Status'] | undefined {
  const old = h.Status;
  h.Log = [...h.Log, result].slice(-MAX_LOG_ENTRIES);
  if (result.ExitCode === 0) {
    h.FailingStreak = 0;
    h.Status = 'healthy';
  } else {
    const sinceStart = Date.parse(result.Start) - Date.parse(startedAt);
    const inStartPeriod = h.Status === 'starting' && sinceStart < check.startPeriodMs;
    if (!inStartPeriod) {
      h.FailingStreak++;
      if (h.FailingStreak >= check.retries) h.Status = 'unhealthy';
    }
  }
  return h.Status !== old ? h.Status : undefined;
}

/** Collects up to MAX_OUTPUT_BYTES of probe output; what overflows is dropped and marked "...". */
export class LimitedOutput {
  private chunks: Buffer[] = [];
  private size = 0;
  private truncated = false;

  write(data: Buffer): void {
    const keep = Math.min(MAX_OUTPUT_BYTES - this.size, data.length);
    if (keep > 0) {
      this.chunks.push(data.subarray(0, keep));
      this.size += keep;
    }
    if (keep < data.length) this.truncated = true;
  }

  toString(): string {
    const s = Buffer.concat(this.chunks).toString('utf8');
    return this.truncated ? s + '...' : s;
  }
}

/** The output Docker records for a probe killed at its timeout. */
export function timeoutOutput(check: EffectiveCheck, output: string): string {
  return output ? `Health check exceeded timeout (${check.timeoutText}): ${output}` : `Health check exceeded timeout (${check.timeoutText})`;
}
