// The containers service: create, start, stop, kill, wait, remove, attach, logs, inspect and
// list. It owns container records and their lifecycle; the runtime (conmon + crun/runc) runs
// them; the layer store gives each its read-write layer.
import { promises as fs, watch, constants as fsConstants, type FSWatcher } from 'node:fs';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { NotFound, Conflict, InvalidParameter, NotModified, SystemError, errorMessage } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import type { Logger } from '../lib/log.js';
import type { EventBus } from '../daemon/events.js';
import type { ImageStore, Image } from '../images/store.js';
import type { LayerStore } from '../layers/store.js';
import { chainIdOf } from '../layers/store.js';
import { familiarString, parseReference } from '../images/reference.js';
import { OciRuntime } from '../runtime/oci-runtime.js';
import { launchConmon } from '../runtime/conmon.js';
import { removeCgroupDirs } from '../runtime/cgroups-layout.js';
import { SeccompBpfCache } from '../runtime/seccomp-bpf-cache.js';
import { ContainerStore } from './store.js';
import { randomName, validateName } from './names.js';
import { newState, transition, isRunning, type ContainerRecord, type ApiConfig, type ApiHostConfig } from './model.js';
import { mergeImageConfig } from './image-config.js';
import { validateRestartPolicy, shouldRestart, restartOnDaemonStart, backoffMs } from './restart-policy.js';
import { joinAttach, type AttachOptions } from './attach.js';
import { type LogQuery, type LogEntry } from './logs.js';
import { ContainerLogs, DEFAULT_LOG_CONFIG } from './logging/container-logs.js';
import type { LogConfig } from './logging/options.js';
import { makeBundle } from './bundle.js';
import { buildResources } from './oci-spec/resources.js';
import { detectHostFacts, type HostConfig as ResourceHostConfig } from './oci-spec/index.js';
import { signalNumber } from './signals.js';
import { planUpdate, writePidsMax, type UpdateConfig } from './resource-update.js';
import type { HealthHooks } from './health.js';
import { validateHealthcheck, type ApiHealthcheck } from './health-state.js';
import type { NetworkController } from '../network/controller.js';
import type { ContainerMounts } from '../volumes/container-mounts.js';
import type { IdMapping } from '../userns/id-mapping.js';
import { validateUserns } from '../userns/container-checks.js';
import { checkFilterKeys, matchPruneLabels, untilFilter } from '../disk/prune-filters.js';

export interface ContainerServiceOptions {
  dataRoot: string;
  execRoot: string;
  cgroupParent: string;
  runtimes: Map<string, OciRuntime>;
  defaultRuntime: string;
  log: Logger;
  events: EventBus;
  images: ImageStore;
  layers: LayerStore;
  /** daemon.json `log-driver`/`log-opts` (read at each create, so a reload applies). */
  logDefaults?: () => LogConfig;
  /** userns-remap: the mapping every container but `--userns=host` ones runs with. */
  idMap?: IdMapping;
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

interface Waiter {
  condition: WaitCondition;
  resolve: (r: { StatusCode: number; Error: { Message: string } | null }) => void;
}

interface PendingAttach {
  client: Duplex;
  options: AttachOptions;
  resolve: (how: 'ended' | 'detached') => void;
}

export class ContainerService {
  readonly store: ContainerStore;
  /** Health-check monitors (health.ts), wired by the daemon. */
  health?: HealthHooks;
  /** Networks, endpoints and sandboxes (src/network), wired by the daemon. */
  network?: NetworkController;
  /** Binds, volumes and tmpfs mounts (src/volumes), wired by the daemon. */
  mounts?: ContainerMounts;
  private waiters = new Map<string, Set<Waiter>>();
  private pendingAttach = new Map<string, Set<PendingAttach>>();
  private exitWatcher?: FSWatcher;
  private restartTimers = new Map<string, NodeJS.Timeout>();
  private busy = new Map<string, Promise<unknown>>();
  private seccompBpf = new SeccompBpfCache();
  /** The current run of each started container: attach-before-start output follows it. */
  private runs = new Map<string, Run>();
  readonly exitDir: string;
  readonly socketDir: string;

  readonly logFiles: ContainerLogs;

  constructor(private readonly o: ContainerServiceOptions) {
    this.store = new ContainerStore(o.dataRoot, o.layers.driver.name);
    this.exitDir = join(o.execRoot, 'exits');
    this.socketDir = join(o.execRoot, 's');
    this.logFiles = new ContainerLogs({ defaults: () => o.logDefaults?.() ?? DEFAULT_LOG_CONFIG, warn: (m) => o.log.warn(m) });
  }

  // ---------------------------------------------------------------- startup and restore

  async init(): Promise<void> {
    await this.store.init();
    await fs.mkdir(this.exitDir, { recursive: true });
    await fs.mkdir(this.socketDir, { recursive: true });
    this.exitWatcher = watch(this.exitDir, (_ev, name) => {
      if (name && this.store.find(name)) void this.handleExit(name.toString());
    });
  }

  /**
   * Live restore: containers whose conmon is still alive keep running; exits that happened while
   * the daemon was down are recorded; restart policies are applied.
   */
  async restore(): Promise<void> {
    for (const c of this.store.all()) {
      if (c.State.Status === 'removing') {
        await this.remove(c.Id, { force: true, volumes: false }).catch(() => undefined);
        continue;
      }
      if (isRunning(c)) {
        const exited = await fs.access(join(this.exitDir, c.Id)).then(() => true, () => false);
        const alive = await this.runtimeFor(c).state(c.Id).catch(() => undefined);
        if (exited || !alive || alive.status === 'stopped') {
          await this.handleExit(c.Id, true);
        } else if (c.State.Status === 'running') {
          this.health?.started(c);
        }
        if (isRunning(c)) this.logFiles.running(c, join(this.bundleDir(c.Id), 'ctl'));
        continue;
      }
      if (c.HasBeenStartedBefore && restartOnDaemonStart(c.HostConfig.RestartPolicy, c.HasBeenManuallyStopped)) {
        void this.start(c.Id).catch((err) => this.o.log.warn(`restart of ${c.Id.slice(0, 12)} failed: ${errorMessage(err)}`));
      }
    }
  }

  async shutdown(stopContainers: boolean): Promise<void> {
    this.exitWatcher?.close();
    this.logFiles.close();
    this.health?.close();
    for (const t of this.restartTimers.values()) clearTimeout(t);
    if (stopContainers) {
      await Promise.all(
        this.store
          .all()
          .filter(isRunning)
          .map((c) => this.stop(c.Id, {}).catch(() => undefined)),
      );
    }
  }

  // ---------------------------------------------------------------- create

  async create(name: string | undefined, body: ApiConfig & { HostConfig?: ApiHostConfig; NetworkingConfig?: unknown }): Promise<{ Id: string; Warnings: string[] }> {
    if (!body || typeof body !== 'object') throw new InvalidParameter('config cannot be empty in order to create a container');
    const { HostConfig: hostConfigIn, NetworkingConfig: _net, ...configIn } = body;
    const hostConfig: ApiHostConfig = { ...(hostConfigIn ?? {}) };
    const imageRef = configIn.Image;
    if (!imageRef) throw new InvalidParameter('No command specified');
    const image = this.o.images.tryResolve(imageRef);
    if (!image) {
      let shown = imageRef;
      try {
        shown = familiarString(parseReference(imageRef));
      } catch {
        throw new InvalidParameter('invalid reference format');
      }
      throw new NotFound(`No such image: ${shown.includes(':') || shown.includes('@') ? shown : shown + ':latest'}`);
    }
    validateRestartPolicy(hostConfig.RestartPolicy, hostConfig.AutoRemove ?? false);
    validateHealthcheck(configIn.Healthcheck as ApiHealthcheck | null | undefined);
    validateUserns(hostConfig, this.o.idMap);
    const networkMode = hostConfig.NetworkMode || 'default';
    hostConfig.NetworkMode = networkMode;
    const runtime = hostConfig.Runtime || this.o.defaultRuntime;
    if (!this.o.runtimes.has(runtime)) throw new InvalidParameter(`unknown or invalid runtime name: ${runtime}`);
    hostConfig.Runtime = runtime;
    hostConfig.LogConfig = this.logFiles.configFor(hostConfig.LogConfig);

    const config = mergeImageConfig(configIn, image.config.config ?? {});
    const argv = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
    if (argv.length === 0) throw new InvalidParameter('No command specified');

    const id = newId();
    // Docker checks limits at create and warns about (and drops) what the kernel cannot enforce.
    const warnings: string[] = [];
    buildResources(hostConfig as ResourceHostConfig, detectHostFacts(), warnings);
    // dockerd stores the default swap (twice the memory) so inspect and `docker update` see it.
    if ((hostConfig.Memory as number) > 0 && !hostConfig.MemorySwap && !warnings.some((w) => w.includes('swap limit'))) {
      hostConfig.MemorySwap = (hostConfig.Memory as number) * 2;
    }
    if (warnings.some((w) => w.includes('Block I/O weight'))) hostConfig.BlkioWeight = 0;
    let fullName: string;
    if (name) {
      fullName = validateName(name);
      this.store.reserveName(fullName, id);
    } else {
      for (let i = 0; ; i++) {
        fullName = '/' + randomName(i);
        if (!this.store.nameOwner(fullName)) break;
      }
      this.store.reserveName(fullName, id);
    }
    if (!config.Hostname) config.Hostname = id.slice(0, 12);

    const dir = this.store.dir(id);
    const rec: ContainerRecord = {
      Id: id,
      Name: fullName,
      Created: new Date().toISOString(),
      Path: argv[0]!,
      Args: argv.slice(1),
      Config: config,
      HostConfig: hostConfig,
      Image: image.id,
      State: newState(),
      RestartCount: 0,
      Driver: this.o.layers.driver.name,
      Platform: 'linux',
      LogPath: join(dir, `${id}-json.log`),
      ResolvConfPath: join(dir, 'resolv.conf'),
      HostnamePath: join(dir, 'hostname'),
      HostsPath: join(dir, 'hosts'),
      Runtime: runtime,
      HasBeenStartedBefore: false,
      HasBeenManuallyStopped: false,
      ExecIDs: [],
    };
    try {
      if (this.mounts) rec.MountPoints = await this.mounts.resolve(rec, (r) => this.store.get(r));
      await this.network?.containerCreated(rec, _net);
      await this.o.layers.createRW(id, chainIdOf(image.config.rootfs.diff_ids), hostConfig.StorageOpt as Record<string, string> | null | undefined);
      await this.store.add(rec);
    } catch (err) {
      await this.network?.containerRemoved(rec).catch(() => undefined);
      await this.mounts?.abandon(rec).catch(() => undefined);
      this.store.releaseName(fullName);
      await this.o.layers.removeRW(id).catch(() => undefined);
      await fs.rm(dir, { recursive: true, force: true });
      throw err;
    }
    this.event(rec, 'create');
    return { Id: id, Warnings: warnings };
  }

  // ---------------------------------------------------------------- start

  async start(ref: string): Promise<void> {
    const c = this.store.get(ref);
    try {
      await this.exclusive(c.Id, () => this.doStart(c));
    } catch (err) {
      if (err instanceof NotModified) throw err;
      // Clients attached before start see their stream end; `run --rm` waits for the removal.
      for (const p of this.pendingAttach.get(c.Id) ?? []) {
        p.client.end();
        p.resolve('ended');
      }
      this.pendingAttach.delete(c.Id);
      this.endRun(c.Id);
      this.notifyWaiters(c, ['next-exit']);
      if (c.HostConfig.AutoRemove) await this.remove(c.Id, { force: true, volumes: true }).catch(() => undefined);
      throw err;
    }
  }

  private async doStart(c: ContainerRecord): Promise<void> {
    if (c.State.Status === 'running' || c.State.Status === 'paused') throw new NotModified('container already started');
    if (c.State.Status === 'removing' || c.State.Status === 'dead') {
      throw new Conflict(`cannot start a container that is being removed: ${c.Id.slice(0, 12)}`);
    }
    const image = this.o.images.byId(c.Image);
    const runtime = this.runtimeFor(c);
    const bundle = this.bundleDir(c.Id);
    await this.deleteFromRuntime(c);
    // Log lines of this run carry conmon timestamps from here on.
    const startedAt = Date.now() / 1000 - 0.001;
    await fs.rm(join(this.exitDir, c.Id), { force: true });
    await fs.rm(bundle, { recursive: true, force: true });
    await fs.mkdir(bundle, { recursive: true, mode: 0o700 });
    let pid: number;
    let seccompKey: string | undefined;
    // The namespace and its links (child processes) are made while the rootfs and mounts are prepared.
    const networking = this.network?.containerStarting(c);
    networking?.catch(() => undefined);
    try {
      const rootfs = await this.o.layers.mountRW(c.Id);
      const userMounts = await this.mounts?.setup(c, rootfs);
      const sandbox = await networking;
      const warnings = await makeBundle({
        sandbox,
        userMounts,
        container: c,
        image,
        rootfs,
        bundle,
        cgroupsPath: this.cgroupsPath(c),
        lookupContainer: (r) => this.store.get(r),
        userns: this.o.idMap,
        finish: (spec) => {
          seccompKey = this.seccompBpf.annotate(spec, runtime);
        },
      });
      for (const w of warnings) this.o.log.warn(`${c.Id.slice(0, 12)}: ${w}`);
      ({ pid } = await launchConmon({
        id: c.Id,
        name: c.Name.slice(1),
        runtime,
        bundle,
        persistDir: bundle,
        socketDir: this.socketDir,
        exitDir: this.exitDir,
        logPath: c.LogPath,
        logDriver: this.logFiles.conmonDriver(c),
        terminal: !!c.Config.Tty,
        stdin: !!c.Config.OpenStdin,
        leaveStdinOpen: !!c.Config.OpenStdin && !c.Config.StdinOnce,
      }));
      // The namespace's DNS redirect was installed while the bundle was written and crun created the container.
      await sandbox?.ready;
      this.logFiles.running(c, join(bundle, 'ctl'));
    } catch (err) {
      // A sandbox still being made would otherwise outlive the teardown below.
      await networking?.catch(() => undefined);
      await runtime.delete(c.Id, true).catch(() => undefined);
      removeCgroupDirs(this.cgroupsPath(c));
      await this.mounts?.teardown(c).catch(() => undefined);
      await this.network?.containerStopped(c).catch(() => undefined);
      await this.o.layers.unmountRW(c.Id).catch(() => undefined);
      const msg = errorMessage(err);
      c.State.Error = msg;
      if (/executable file not found|no such file or directory/.test(msg)) c.State.ExitCode = 127;
      else if (/permission denied/.test(msg)) c.State.ExitCode = 126;
      else c.State.ExitCode = 128;
      await this.store.save(c);
      throw err;
    }
    // Clients that attached before start must see the very first bytes.
    if (seccompKey) await this.seccompBpf.harvest(seccompKey, runtime, c.Id);
    const run = newRun(startedAt);
    this.runs.set(c.Id, run);
    for (const p of this.pendingAttach.get(c.Id) ?? []) this.connectAttach(c, p, run);
    this.pendingAttach.delete(c.Id);

    transition(c, 'running');
    c.State.Pid = pid;
    c.State.StartedAt = new Date().toISOString();
    c.State.ExitCode = 0;
    c.State.Error = '';
    c.State.OOMKilled = false;
    c.HasBeenStartedBefore = true;
    c.HasBeenManuallyStopped = false;
    await this.store.save(c);
    try {
      await runtime.start(c.Id);
    } catch (err) {
      await runtime.kill(c.Id, 'KILL').catch(() => undefined);
      throw err;
    }
    this.health?.started(c);
    this.event(c, 'start');
  }

  // ---------------------------------------------------------------- exits

  private async handleExit(id: string, restoring = false): Promise<void> {
    const c = this.store.find(id);
    if (!c || !isRunning(c)) return;
    await this.exclusive(c.Id, async () => {
      if (!isRunning(c)) return;
      this.health?.stopped(c);
      const [raw, oom] = await Promise.all([
        fs.readFile(join(this.exitDir, c.Id), 'utf8').catch(() => ''),
        fs.access(join(this.bundleDir(c.Id), 'oom')).then(() => true, () => false),
      ]);
      const code = raw.trim() === '' ? 255 : Number(raw.trim());
      // Waiters hear of the exit first; the clean-up below still holds this container's lock,
      // so nothing can start or remove it half-cleaned.
      this.logFiles.exited(c);
      this.endRun(c.Id);
      transition(c, 'exited');
      c.State.Pid = 0;
      c.State.ExitCode = code;
      c.State.OOMKilled = oom;
      c.State.FinishedAt = new Date().toISOString();
      await this.store.save(c);
      if (oom) this.event(c, 'oom');
      this.event(c, 'die', { exitCode: String(code) });
      this.notifyWaiters(c, ['not-running', 'next-exit']);
      // --rm: the removal below does this clean-up after the record is gone.
      if (!c.HostConfig.AutoRemove) await this.cleanUpExited(c);
    });
    if (c.HostConfig.AutoRemove) {
      await this.remove(c.Id, { force: false, volumes: true }).catch((err) => this.o.log.warn(`auto-remove ${id}: ${errorMessage(err)}`));
      return;
    }
    const restart = restoring
      ? restartOnDaemonStart(c.HostConfig.RestartPolicy, c.HasBeenManuallyStopped)
      : shouldRestart(c.HostConfig.RestartPolicy, { exitCode: c.State.ExitCode, restartCount: c.RestartCount, manuallyStopped: c.HasBeenManuallyStopped });
    if (restart) this.scheduleRestart(c);
  }

  private scheduleRestart(c: ContainerRecord): void {
    const ranFor = Date.parse(c.State.FinishedAt) - Date.parse(c.State.StartedAt);
    const delay = ranFor > 10_000 ? 100 : backoffMs(Math.min(c.RestartCount, 10));
    transition(c, 'restarting');
    void this.store.save(c);
    const t = setTimeout(() => {
      this.restartTimers.delete(c.Id);
      if (c.State.Status !== 'restarting') return;
      c.State.Status = 'exited';
      c.RestartCount++;
      this.start(c.Id).catch((err) => this.o.log.warn(`restart ${c.Id.slice(0, 12)}: ${errorMessage(err)}`));
    }, delay);
    this.restartTimers.set(c.Id, t);
  }

  private cancelRestart(c: ContainerRecord): void {
    const t = this.restartTimers.get(c.Id);
    if (t) clearTimeout(t);
    this.restartTimers.delete(c.Id);
    if (c.State.Status === 'restarting') c.State.Status = 'exited';
  }

  // ---------------------------------------------------------------- stop, kill, restart, pause

  async stop(ref: string, opts: { signal?: string; timeout?: number }): Promise<void> {
    const c = this.store.get(ref);
    c.HasBeenManuallyStopped = true;
    if (c.State.Status === 'restarting') {
      this.cancelRestart(c);
      await this.store.save(c);
      return;
    }
    if (!isRunning(c)) throw new NotModified('container already stopped');
    await this.store.save(c);
    const signal = opts.signal || c.Config.StopSignal || 'SIGTERM';
    const timeout = opts.timeout ?? (typeof c.Config.StopTimeout === 'number' ? c.Config.StopTimeout : 10);
    const exited = this.waitFor(c, 'not-running');
    if (c.State.Status === 'paused') await this.runtimeFor(c).resume(c.Id).catch(() => undefined);
    await this.signal(c, signal).catch(() => undefined);
    if (timeout >= 0) {
      const timedOut = await Promise.race([exited.then(() => false), sleep(timeout * 1000).then(() => true)]);
      if (!timedOut) return;
      await this.signal(c, 'SIGKILL').catch(() => undefined);
    }
    await exited;
    this.event(c, 'stop');
  }

  async kill(ref: string, signal = 'SIGKILL'): Promise<void> {
    const c = this.store.get(ref);
    const num = signalNumber(signal);
    if (!isRunning(c)) throw new Conflict(`Cannot kill container: ${ref}: container ${c.Id} is not running`);
    await this.signal(c, signal);
    this.event(c, 'kill', { signal: String(num) });
  }

  private async signal(c: ContainerRecord, signal: string): Promise<void> {
    await this.runtimeFor(c).kill(c.Id, signalNumber(signal));
  }

  async restart(ref: string, opts: { signal?: string; timeout?: number }): Promise<void> {
    const c = this.store.get(ref);
    if (isRunning(c)) await this.stop(c.Id, opts).catch((err) => (err instanceof NotModified ? undefined : Promise.reject(err)));
    await this.start(c.Id);
    this.event(c, 'restart');
  }

  async pause(ref: string): Promise<void> {
    const c = this.store.get(ref);
    if (c.State.Status === 'paused') throw new Conflict(`Container ${c.Id} is already paused`);
    if (c.State.Status !== 'running') throw new Conflict(`Container ${c.Id} is not running`);
    await this.runtimeFor(c).pause(c.Id);
    transition(c, 'paused');
    this.health?.update(c);
    await this.store.save(c);
    this.event(c, 'pause');
  }

  async unpause(ref: string): Promise<void> {
    const c = this.store.get(ref);
    if (c.State.Status !== 'paused') throw new Conflict(`Container ${c.Id} is not paused`);
    await this.runtimeFor(c).resume(c.Id);
    transition(c, 'running');
    this.health?.update(c);
    await this.store.save(c);
    this.event(c, 'unpause');
  }

  // ---------------------------------------------------------------- wait

  /** Registers the waiter synchronously so callers can flush their response headers before it fires. */
  wait(ref: string, condition: WaitCondition): { result: Promise<{ StatusCode: number; Error: { Message: string } | null }>; cancel(): void } {
    const c = this.store.get(ref);
    if (condition === 'not-running' && !isRunning(c)) {
      return { result: Promise.resolve(exitResult(c)), cancel: () => undefined };
    }
    let waiter!: Waiter;
    const result = new Promise<{ StatusCode: number; Error: { Message: string } | null }>((resolve) => {
      waiter = { condition, resolve };
    });
    let set = this.waiters.get(c.Id);
    if (!set) this.waiters.set(c.Id, (set = new Set()));
    set.add(waiter);
    return { result, cancel: () => set!.delete(waiter) };
  }

  private waitFor(c: ContainerRecord, condition: WaitCondition): Promise<unknown> {
    return this.wait(c.Id, condition).result;
  }

  private notifyWaiters(c: ContainerRecord, conditions: WaitCondition[]): void {
    const set = this.waiters.get(c.Id);
    if (!set) return;
    for (const w of [...set]) {
      if (conditions.includes(w.condition)) {
        set.delete(w);
        w.resolve(exitResult(c));
      }
    }
  }

  // ---------------------------------------------------------------- remove

  async remove(ref: string, opts: { force: boolean; volumes: boolean }): Promise<void> {
    const c = this.store.get(ref);
    if (c.State.Status === 'removing' && this.busy.has(c.Id)) {
      throw new Conflict(`removal of container ${c.Id} is already in progress`);
    }
    if (isRunning(c) && c.State.Status !== 'restarting') {
      if (!opts.force) {
        const what = c.State.Status === 'paused' ? 'paused' : 'running';
        throw new Conflict(
          `cannot remove container "${c.Name}": container is ${what}: stop the container before removing or force remove`,
        );
      }
      c.HasBeenManuallyStopped = true;
      const exited = this.waitFor(c, 'not-running');
      if (c.State.Status === 'paused') await this.runtimeFor(c).resume(c.Id).catch(() => undefined);
      await this.signal(c, 'SIGKILL').catch(() => undefined);
      await Promise.race([exited, sleep(10_000)]);
      if (isRunning(c)) await this.handleExit(c.Id);
    }
    this.cancelRestart(c);
    await this.exclusive(c.Id, async () => {
      this.health?.stopped(c);
      if (c.State.Status !== 'removing') transition(c, 'removing');
      // What other objects see goes first: volumes and network endpoints are released, then the
      // record, so `run --rm` is answered with the name, volumes and addresses free. The runtime
      // record, mounts and layers are reclaimed after, or by the daemon's start-up sweep if it
      // dies before that.
      await this.releaseShared(c);
      await Promise.all([
        this.mounts?.removed(c, opts.volumes),
        this.network?.containerRemoved(c).catch((err) => this.o.log.warn(`network removal ${c.Id.slice(0, 12)}: ${errorMessage(err)}`)),
      ]);
      await this.store.remove(c);
      this.event(c, 'destroy');
      this.notifyWaiters(c, ['removed', 'not-running', 'next-exit']);
      await this.releasePrivate(c);
      await Promise.all([this.o.layers.removeRW(c.Id, (chain) => this.o.images.usesLayer(chain)), fs.rm(this.bundleDir(c.Id), { recursive: true, force: true })]);
    });
  }

  /** What an exited container no longer needs. */
  private async cleanUpExited(c: ContainerRecord): Promise<void> {
    await Promise.all([this.releaseShared(c), this.releasePrivate(c)]);
  }

  /** Volume mounts and network endpoints: things other containers and commands may want next. */
  private async releaseShared(c: ContainerRecord): Promise<void> {
    await Promise.all([
      this.mounts?.teardown(c).catch(() => undefined),
      this.network?.containerStopped(c).catch((err) => this.o.log.warn(`network teardown ${c.Id.slice(0, 12)}: ${errorMessage(err)}`)),
    ]);
  }

  /** The runtime's record, the rootfs mount and the cgroups: nobody else looks at them. */
  private async releasePrivate(c: ContainerRecord): Promise<void> {
    await Promise.all([
      this.deleteFromRuntime(c).catch((err) => this.o.log.warn(`delete ${c.Id.slice(0, 12)}: ${errorMessage(err)}`)),
      this.o.layers.unmountRW(c.Id).catch(() => undefined),
    ]);
    removeCgroupDirs(this.cgroupsPath(c));
  }

  /** Start-up sweep: read-write layers and runtime records whose container no longer exists. */
  async sweepOrphans(): Promise<void> {
    const hidden = new Set(this.store.hiddenByDriver().values());
    if (hidden.size) this.o.log.info(`${this.store.hiddenByDriver().size} container(s) of storage driver ${[...hidden].join(', ')} not restored: they come back when the daemon runs that driver`);
    for (const id of this.o.layers.rwContainerIds()) {
      if (!this.store.find(id)) await this.o.layers.removeRW(id).catch((err) => this.o.log.warn(`orphan layer ${id.slice(0, 12)}: ${errorMessage(err)}`));
    }
    for (const runtime of this.o.runtimes.values()) {
      for (const id of await fs.readdir(runtime.spec.root).catch(() => [] as string[])) {
        // Containers of another storage driver may still run (live restore): theirs stay.
        if (/^[0-9a-f]{64}$/.test(id) && !this.store.owns(id)) await runtime.delete(id, true).catch(() => undefined);
      }
    }
  }

  // ---------------------------------------------------------------- rename

  async rename(ref: string, newName: string): Promise<void> {
    const c = this.store.get(ref);
    if (!newName) throw new InvalidParameter('Neither old nor new names may be empty');
    const full = validateName(newName);
    if (full === c.Name) throw new InvalidParameter(`Renaming a container with the same name as its current name`);
    const old = c.Name;
    this.store.reserveName(full, c.Id);
    this.store.releaseName(old);
    c.Name = full;
    await this.store.save(c);
    this.event(c, 'rename', { oldName: old });
  }

  // ---------------------------------------------------------------- attach and logs

  /** Attaches a hijacked client connection. Before start, the session waits for start. */
  attach(ref: string, client: Duplex, options: AttachOptions): Promise<'ended' | 'detached'> {
    const c = this.store.get(ref);
    return new Promise((resolve) => {
      const p: PendingAttach = { client, options: { ...options, tty: !!c.Config.Tty }, resolve };
      if (c.State.Status === 'running' || c.State.Status === 'paused') {
        this.connectAttach(c, p);
      } else {
        let set = this.pendingAttach.get(c.Id);
        if (!set) this.pendingAttach.set(c.Id, (set = new Set()));
        set.add(p);
        client.on('close', () => {
          if (set!.delete(p)) resolve('ended');
        });
      }
    });
  }

  private endRun(id: string): void {
    const run = this.runs.get(id);
    if (!run) return;
    this.runs.delete(id);
    run.exited = true;
    run.signal();
  }

  private connectAttach(c: ContainerRecord, p: PendingAttach, run?: Run): void {
    try {
      const wantsOutput = p.options.stdout || p.options.stderr;
      const output =
        run && wantsOutput && this.logFiles.readable(c)
          ? this.logFiles.read(c, { stdout: p.options.stdout, stderr: p.options.stderr, since: run.since, until: 0, follow: true }, () => run.exited, run.stopped)
          : undefined;
      const { done } = joinAttach(join(this.bundleDir(c.Id), 'attach'), p.client, { ...p.options, output });
      void done.then((how) => {
        if (how === 'detached') this.event(c, 'detach');
        p.resolve(how);
      });
    } catch (err) {
      this.o.log.warn(`attach ${c.Id.slice(0, 12)}: ${errorMessage(err)}`);
      p.client.end();
      p.resolve('ended');
    }
    this.event(c, 'attach');
  }

  logs(ref: string, q: LogQuery): AsyncGenerator<LogEntry> {
    const c = this.store.get(ref);
    return this.logFiles.read(c, q, () => !isRunning(c));
  }

  // ---------------------------------------------------------------- resize, top, prune

  async resize(ref: string, height: number, width: number): Promise<void> {
    const c = this.store.get(ref);
    if (!isRunning(c)) throw new Conflict(`Container ${c.Id} is not running`);
    if (!c.Config.Tty) return;
    const fh = await fs.open(join(this.bundleDir(c.Id), 'ctl'), fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
    try {
      await fh.write(`1 ${height} ${width}\n`);
    } finally {
      await fh.close();
    }
  }

  /** The container's processes, as `ps` on the host shows them (docker top). */
  async top(ref: string, psArgs: string): Promise<{ Titles: string[]; Processes: string[][] }> {
    const c = this.store.get(ref);
    if (!isRunning(c)) throw new Conflict(`Container ${c.Id} is not running`);
    const pids = new Set(await this.pidsOf(c));
    const args = psArgs.trim() ? psArgs.trim().split(/\s+/) : ['-ef'];
    const out = await new Promise<string>((resolve, reject) =>
      execFile('ps', args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
        err ? reject(new InvalidParameter(`Error running ps: ${stderr.trim() || err.message}`)) : resolve(stdout),
      ),
    );
    const lines = out.split('\n').filter(Boolean);
    const titles = lines[0]!.trim().split(/\s+/);
    const pidCol = titles.indexOf('PID');
    if (pidCol < 0) throw new InvalidParameter(`Couldn't find PID field in ps output`);
    const processes: string[][] = [];
    for (const line of lines.slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (!pids.has(Number(fields[pidCol]))) continue;
      // the last column (CMD/COMMAND) keeps its spaces
      processes.push([...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')]);
    }
    return { Titles: titles, Processes: processes };
  }

  /** Pids in the container's cgroup (pids controller, or any v1 controller, or v2). */
  async pidsOf(c: ContainerRecord): Promise<number[]> {
    const path = this.cgroupsPath(c);
    for (const base of ['/sys/fs/cgroup/pids', '/sys/fs/cgroup/memory', '/sys/fs/cgroup']) {
      const text = await fs.readFile(join(base, path, 'cgroup.procs'), 'utf8').catch(() => undefined);
      if (text !== undefined) return text.split('\n').filter(Boolean).map(Number);
    }
    return c.State.Pid ? [c.State.Pid] : [];
  }

  async prune(filters: Map<string, string[]>): Promise<{ ContainersDeleted: string[]; SpaceReclaimed: number }> {
    const deleted: string[] = [];
    let space = 0;
    checkFilterKeys(filters, ['label', 'label!', 'until']);
    const untilMs = untilFilter(filters);
    for (const c of this.store.all()) {
      if (isRunning(c) || c.State.Status === 'removing') continue;
      if (untilMs !== undefined && Date.parse(c.Created) > untilMs) continue;
      if (!matchPruneLabels(filters, c.Config.Labels)) continue;
      const size = await this.o.layers.sizeRW(c.Id).catch(() => 0);
      // Removal also deletes the container's directory (logs included) and its RW layer dirs.
      try {
        await this.remove(c.Id, { force: false, volumes: false });
      } catch (err) {
        this.o.log.warn(`container prune ${c.Id.slice(0, 12)}: ${errorMessage(err)}`);
        continue;
      }
      space += size;
      deleted.push(c.Id);
    }
    return { ContainersDeleted: deleted, SpaceReclaimed: space };
  }

  /**
   * docker update: new limits (and restart policy) checked as dockerd checks them, applied to a
   * running container through its runtime, and kept in HostConfig for inspect and later starts.
   */
  async update(ref: string, body: UpdateConfig): Promise<{ Warnings: string[] }> {
    const c = this.store.get(ref);
    if (c.State.Status === 'removing' || c.State.Status === 'dead') {
      throw new Conflict(`Cannot update container ${c.Id}: container is marked for removal and cannot be "update"`);
    }
    const plan = planUpdate(c.Id, c.HostConfig, body, detectHostFacts());
    await this.exclusive(c.Id, async () => {
      if (isRunning(c) && c.State.Status !== 'restarting') {
        try {
          await this.runtimeFor(c).update(c.Id, plan.resources);
          // crun 1.8 writes a pids limit verbatim and has no spelling for "unlimited" but "max".
          if (plan.pidsUnlimited) await writePidsMax(this.cgroupsPath(c), 'max');
        } catch (err) {
          throw new SystemError(`Cannot update container ${c.Id}: ${errorMessage(err)}`, { cause: err });
        }
      }
      c.HostConfig = plan.next;
      await this.store.save(c);
    });
    this.event(c, 'update');
    return { Warnings: plan.warnings };
  }

  // ---------------------------------------------------------------- queries

  get(ref: string): ContainerRecord {
    return this.store.get(ref);
  }

  list(): ContainerRecord[] {
    return this.store.all();
  }

  imageOf(c: ContainerRecord): Image | undefined {
    return this.o.images.byId(c.Image);
  }

  /** Deletes the runtime's record of the container, if it still has one (a stat, not a spawn). */
  private async deleteFromRuntime(c: ContainerRecord): Promise<void> {
    const runtime = this.runtimeFor(c);
    const exists = await fs.access(join(runtime.spec.root, c.Id)).then(() => true, () => false);
    if (exists) await runtime.delete(c.Id, true).catch(() => undefined);
  }

  cgroupsPath(c: ContainerRecord): string {
    return `${this.o.cgroupParent}/${c.Id}`;
  }

  bundleDir(id: string): string {
    return join(this.o.execRoot, 'containers', id);
  }

  runtimeFor(c: ContainerRecord): OciRuntime {
    const r = this.o.runtimes.get(c.Runtime) ?? this.o.runtimes.get(this.o.defaultRuntime);
    if (!r) throw new SystemError(`runtime ${c.Runtime} is not configured`);
    return r;
  }

  /** Containers using an image (for image removal conflicts). */
  usersOf(imageId: string): ContainerRecord[] {
    return this.store.all().filter((c) => c.Image === imageId);
  }

  event(c: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    const img = this.o.images.byId(c.Image);
    const attrs: Record<string, string> = { ...(c.Config.Labels ?? {}), image: c.Config.Image ?? img?.id ?? '', name: c.Name.slice(1), ...extra };
    this.o.events.publish('container', action, c.Id, attrs);
  }

  /** Serializes lifecycle operations on one container. */
  private async exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.busy.get(id) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(fn);
    this.busy.set(id, next);
    try {
      return await next;
    } finally {
      if (this.busy.get(id) === next) this.busy.delete(id);
    }
  }
}

interface Run {
  /** Unix seconds just before the run began: its log lines are the ones after it. */
  since: number;
  exited: boolean;
  stopped: Promise<void>;
  signal(): void;
}

function newRun(since: number): Run {
  let signal!: () => void;
  const stopped = new Promise<void>((resolve) => (signal = resolve));
  return { since, exited: false, stopped, signal };
}

function exitResult(c: ContainerRecord): { StatusCode: number; Error: { Message: string } | null } {
  return { StatusCode: c.State.ExitCode, Error: c.State.Error ? { Message: c.State.Error } : null };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
