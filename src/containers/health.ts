// Health monitors: one probe loop per running container with a healthcheck. Probes run as
// internal execs; results move State.Health through health-state.ts, status changes are
// persisted and published as `health_status: …` events. The container service calls the hooks.
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { ContainerService } from './service.js';
import type { ExecService } from './exec.js';
import type { ContainerRecord } from './model.js';
import {
  applyProbeResult,
  effectiveCheck,
  LimitedOutput,
  nextDelayMs,
  probeArgv,
  startingHealth,
  stoppedHealth,
  timeoutOutput,
  type EffectiveCheck,
  type ProbeResult,
} from './health-state.js';

/** What the container service tells the health monitors. */
export interface HealthHooks {
  /** The container (re)started or was restored running: status back to starting, probing begins. */
  started(c: ContainerRecord): void;
  /** Paused, unpaused: probing follows whether the container is running and not paused. */
  update(c: ContainerRecord): void;
  /** Exited or being removed: probing stops. */
  stopped(c: ContainerRecord): void;
  /** Daemon shutdown: timers and in-flight probes go; records keep their last state. */
  close(): void;
}

interface Monitor {
  check: EffectiveCheck;
  timer?: NodeJS.Timeout;
  abort: AbortController;
  stopped: boolean;
}

export class HealthMonitors implements HealthHooks {
  private monitors = new Map<string, Monitor>();

  constructor(
    private readonly containers: ContainerService,
    private readonly execs: ExecService,
    private readonly log: Logger,
  ) {}

  started(c: ContainerRecord): void {
    if (!effectiveCheck(c.Config.Healthcheck)) return;
    this.halt(c.Id);
    c.State.Health = startingHealth(c.State.Health);
    this.persist(c);
    this.update(c);
  }

  update(c: ContainerRecord): void {
    const check = effectiveCheck(c.Config.Healthcheck);
    if (!c.State.Health) return;
    const wanted = c.State.Status === 'running' && !!check;
    if (!wanted) {
      if (this.halt(c.Id)) {
        stoppedHealth(c.State.Health);
        this.persist(c);
      }
      return;
    }
    if (this.monitors.has(c.Id)) return;
    const m: Monitor = { check: check!, abort: new AbortController(), stopped: false };
    this.monitors.set(c.Id, m);
    this.schedule(c, m);
  }

  stopped(c: ContainerRecord): void {
    if (this.halt(c.Id) && c.State.Health) stoppedHealth(c.State.Health);
  }

  close(): void {
    for (const id of [...this.monitors.keys()]) this.halt(id);
  }

  /** Stops a monitor; true when one was running. */
  private halt(id: string): boolean {
    const m = this.monitors.get(id);
    if (!m) return false;
    m.stopped = true;
    if (m.timer) clearTimeout(m.timer);
    m.abort.abort();
    this.monitors.delete(id);
    return true;
  }

  private schedule(c: ContainerRecord, m: Monitor): void {
    const elapsed = Date.now() - Date.parse(c.State.StartedAt);
    const delay = nextDelayMs(m.check, elapsed, c.State.Health?.Status ?? 'starting');
    m.timer = setTimeout(() => void this.tick(c, m), delay);
  }

  private async tick(c: ContainerRecord, m: Monitor): Promise<void> {
    if (m.stopped) return;
    const result = await this.probe(c, m);
    if (m.stopped || !c.State.Health) return;
    const changed = applyProbeResult(c.State.Health, result, m.check, c.State.StartedAt);
    if (changed) {
      this.persist(c);
      this.containers.event(c, `health_status: ${changed}`);
    }
    this.schedule(c, m);
  }

  private async probe(c: ContainerRecord, m: Monitor): Promise<ProbeResult> {
    const start = new Date().toISOString();
    const output = new LimitedOutput();
    try {
      const argv = probeArgv(m.check, c.Config.Shell as string[] | undefined);
      const { exitCode, timedOut } = await this.execs.runInternal(c.Id, argv, {
        timeoutMs: m.check.timeoutMs,
        onOutput: (d) => output.write(d),
        signal: m.abort.signal,
      });
      const out = output.toString();
      if (timedOut) {
        this.log.debug(`Health check for container ${c.Id} taking too long`);
        return { Start: start, End: new Date().toISOString(), ExitCode: -1, Output: timeoutOutput(m.check, out) };
      }
      return { Start: start, End: new Date().toISOString(), ExitCode: exitCode, Output: out };
    } catch (err) {
      if (!m.stopped) this.log.warn(`Health check for container ${c.Id} error: ${errorMessage(err)}`);
      return { Start: start, End: new Date().toISOString(), ExitCode: -1, Output: errorMessage(err) };
    }
  }

  private persist(c: ContainerRecord): void {
    if (!this.containers.store.find(c.Id)) return;
    this.containers.store.save(c).catch((err) => this.log.warn(`saving health of ${c.Id.slice(0, 12)}: ${errorMessage(err)}`));
  }
}
