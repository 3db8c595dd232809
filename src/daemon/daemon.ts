// The composition root: builds the stores and services from the configuration, restores state,
// serves the API, and handles SIGTERM (live restore) and SIGHUP (reload).
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Logger } from '../lib/log.js';
import { errorMessage, InvalidParameter } from '../lib/errors.js';
import { readConfigFile, RELOADABLE, type DaemonConfig } from './config.js';
import { EventBus } from './events.js';
import type { SystemFacts } from './system-info.js';
import { ApiServer } from '../api/server.js';
import { listenAll } from '../api/listeners.js';
import { systemRoutes } from '../api/routes/system.js';
import { containerRoutes } from '../api/routes/containers.js';
import { statsRoutes } from '../api/routes/stats.js';
import { StatsService } from '../containers/stats/stats-service.js';
import { imageRoutes } from '../api/routes/images.js';
import { berthRoutes } from '../api/routes/berth.js';
import { registerBuild } from '../api/routes/build.js';
import { volumeRoutes } from '../api/routes/volumes.js';
import { registerDiskUsage } from '../api/routes/system-df.js';
import { VolumeService } from '../volumes/service.js';
import { ContainerMounts } from '../volumes/container-mounts.js';
import { distributionRoutes } from '../api/routes/distribution.js';
import { DistributionService } from '../distribution/client/service.js';
import { imageArchiveRoutes } from '../api/routes/image-archive.js';
import { execRoutes } from '../api/routes/exec.js';
import { ExecService } from '../containers/exec.js';
import { HealthMonitors } from '../containers/health.js';
import { ContainerFilesystem } from '../containers/filesystem.js';
import { containerFsRoutes } from '../api/routes/container-fs.js';
import { LayerStore } from '../layers/store.js';
import { removeUnreferencedLayers } from '../layers/unreferenced.js';
import { ImageStore } from '../images/store.js';
import { ImageService, type ImageUsers } from '../images/service.js';
import { ContainerService } from '../containers/service.js';
import { isRunning } from '../containers/model.js';
import { chooseRuntimes } from './runtimes.js';
import { startNetworking } from '../network/wiring.js';
import { networkRoutes } from '../api/routes/networks.js';
import { swarmInactiveRoutes } from '../api/routes/swarm-inactive.js';
import { openToRemappedRoot, setupRemap } from '../userns/remap-root.js';
import { remappedContainer } from '../userns/container-checks.js';

export class Daemon {
  readonly log: Logger;
  readonly events = new EventBus();
  private api!: ApiServer;
  containers!: ContainerService;
  /** Kept for stop(): a driver may hold a mount of its own (btrfs direct mode). */
  private layers?: LayerStore;

  constructor(public config: DaemonConfig) {
    this.log = new Logger(config.logLevel);
  }

  async start(): Promise<void> {
    const c = this.config;
    await fs.mkdir(c.dataRoot, { recursive: true, mode: 0o711 });
    await fs.mkdir(c.execRoot, { recursive: true, mode: 0o700 });
    await this.claimPidfile();
    const id = await this.engineId();

    const { runtimes, defaultRuntime, layout, notes, versions } = await chooseRuntimes(c, this.log);
    // userns-remap: images, layers, containers and volumes live under <data-root>/<uid>.<gid>.
    const { storeRoot, mapping: idMap } = await setupRemap(c.dataRoot, c.usernsRemap, this.log);
    const layers = new LayerStore(storeRoot, c.storageDriver, c.storageOpts);
    layers.idMap = idMap;
    await layers.init();
    this.layers = layers;
    const imageStore = new ImageStore(storeRoot, layers.driver.name);
    await imageStore.init();
    const images = new ImageService(imageStore, layers, this.events);
    const distribution = new DistributionService({ dataRoot: storeRoot, layers, images, events: this.events, registryOptions: () => ({ insecureRegistries: this.config.insecureRegistries ?? [], registryMirrors: this.config.registryMirrors ?? [] }) });
    await distribution.init();
    this.containers = new ContainerService({
      dataRoot: storeRoot,
      idMap,
      execRoot: c.execRoot,
      cgroupParent: c.cgroupParent,
      runtimes,
      defaultRuntime,
      log: this.log,
      events: this.events,
      images: imageStore,
      layers,
      logDefaults: () => ({ Type: this.config.logDriver, Config: this.config.logOpts }),
    });
    await this.containers.init();
    if (idMap) await openToRemappedRoot([layers.driver.home, this.containers.store.root], idMap);
    this.containers.network = await startNetworking(c, this.containers, this.log, this.events);
    if (idMap) this.containers.network.sandboxes.usernsOf = (cid) => remappedContainer(this.containers, cid, idMap);
    const volumes = new VolumeService({ dataRoot: storeRoot, idMap, events: this.events, log: this.log });
    await volumes.init();
    this.containers.mounts = new ContainerMounts(volumes, this.log);
    this.containers.mounts.restore(this.containers.list().map((x) => ({ ...x, running: isRunning(x) })));
    const execs = new ExecService(this.containers);
    this.containers.health = new HealthMonitors(this.containers, execs, this.log);
    await this.containers.sweepOrphans();
    await removeUnreferencedLayers(layers, imageStore.all(), this.log);
    await this.containers.restore();

    const users: ImageUsers = {
      running: (imageId) => this.containers.usersOf(imageId).filter(isRunning).map((x) => x.Id),
      stopped: (imageId) => this.containers.usersOf(imageId).filter((x) => !isRunning(x)).map((x) => x.Id),
    };
    const facts: SystemFacts = {
      id,
      config: c,
      containers: this.containers,
      images: imageStore,
      runtimes,
      defaultRuntime,
      cgroupLayout: layout,
      runtimeNotes: notes,
      runtimeVersions: versions,
      layers,
      storeRoot,
    };
    this.api = new ApiServer(this.log);
    systemRoutes(this.api.router, facts, this.events);
    containerRoutes(this.api.router, { containers: this.containers, images: imageStore, layers });
    statsRoutes(this.api.router, new StatsService(this.containers));
    imageRoutes(this.api.router, images, layers, users, distribution);
    distributionRoutes(this.api.router, distribution);
    imageArchiveRoutes(this.api.router, { images: imageStore, layers, dataRoot: storeRoot, events: this.events });
    execRoutes(this.api.router, execs);
    networkRoutes(this.api.router, this.containers.network);
    containerFsRoutes(this.api.router, new ContainerFilesystem(this.containers, layers, images));
    berthRoutes(this.api.router, { dataRoot: storeRoot, layers, images });
    volumeRoutes(this.api.router, volumes);
    swarmInactiveRoutes(this.api.router);
    registerDiskUsage(this.api.router, { dataRoot: storeRoot, images, layers, containers: this.containers, volumes, users, keptLayerBytes: () => distribution.keptBlobBytes() });
    await registerBuild(this.api.router, { dataRoot: storeRoot, containers: this.containers, layers, images, puller: distribution });

    await listenAll(this.api, c.hosts, { ...c, groupId: await groupId(c.group) }, this.log);
    this.events.publish('daemon', 'start', id, { name: 'berthd' });
    this.log.info(`Daemon has completed initialization (data root ${c.dataRoot}, runtime ${defaultRuntime}, cgroups ${layout})`);
  }

  /** SIGTERM: with live restore, containers keep running; without, they are stopped first. */
  async stop(): Promise<void> {
    this.log.info(`Processing signal 'terminated'${this.config.liveRestore ? ' (live-restore: containers keep running)' : ''}`);
    await this.api?.close();
    await this.containers?.shutdown(!this.config.liveRestore);
    await this.layers?.close();
    this.containers?.network?.close();
    await fs.rm(this.config.pidfile, { force: true });
  }

  /** SIGHUP: re-read daemon.json and apply the keys that may change at run time. */
  reload(): void {
    try {
      const file = readConfigFile(this.config.configFile, false);
      for (const key of RELOADABLE) {
        if (key in file) (this.config as unknown as Record<string, unknown>)[key] = (file as Record<string, unknown>)[key];
      }
      this.log.level = this.config.debug ? 'debug' : this.config.logLevel;
      this.log.info(`Reloaded configuration from ${this.config.configFile}`);
      this.events.publish('daemon', 'reload', 'berthd', {});
    } catch (err) {
      this.log.error(`Error reloading configuration: ${errorMessage(err)}`);
    }
  }

  private async claimPidfile(): Promise<void> {
    const p = this.config.pidfile;
    const old = await fs.readFile(p, 'utf8').catch(() => '');
    const pid = Number(old.trim());
    if (pid && pid !== process.pid) {
      const alive = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').then((s) => s.includes('berthd'), () => false);
      if (alive) throw new InvalidParameter(`pid file found, ensure berthd is not running or delete ${p}`);
    }
    await fs.writeFile(p, String(process.pid));
  }

  private async engineId(): Promise<string> {
    const p = join(this.config.dataRoot, 'engine-id');
    const existing = (await fs.readFile(p, 'utf8').catch(() => '')).trim();
    if (existing) return existing;
    const id = randomUUID();
    await fs.writeFile(p, id);
    return id;
  }
}

async function groupId(name: string | undefined): Promise<number | undefined> {
  const wanted = name ?? 'docker';
  if (/^\d+$/.test(wanted)) return Number(wanted); // dockerd takes a numeric gid as is
  const groups = await fs.readFile('/etc/group', 'utf8').catch(() => '');
  for (const line of groups.split('\n')) {
    const [n, , gid] = line.split(':');
    if (n === wanted) return Number(gid);
  }
  if (name) throw new InvalidParameter(`group ${name} not found`);
  return undefined;
}

