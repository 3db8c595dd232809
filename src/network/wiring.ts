// Builds the network controller from the daemon's configuration and connects it to the
// containers service (the composition root calls this once, before containers are restored).
import type { DaemonConfig } from '../daemon/config.js';
import type { EventBus } from '../daemon/events.js';
import type { Logger } from '../lib/log.js';
import type { ContainerService } from '../containers/service.js';
import { isRunning } from '../containers/model.js';
import { NetworkController } from './controller.js';
import { validatePools } from './ipam/ipam.js';
import { daemonNetNames } from './naming.js';

export async function startNetworking(c: DaemonConfig, containers: ContainerService, log: Logger, events: EventBus): Promise<NetworkController> {
  if (c.defaultAddressPools) validatePools(c.defaultAddressPools);
  const network = new NetworkController({
    dataRoot: c.dataRoot,
    execRoot: c.execRoot,
    log,
    events,
    names: daemonNetNames(c.dataRoot),
    pools: c.defaultAddressPools?.length ? c.defaultAddressPools : undefined,
    bip: c.bip,
    fixedCidr: c.fixedCidr,
    hostGatewayIp: c.hostGatewayIp,
    bridge: c.bridge,
    iptables: c.iptables ?? true,
    ipForward: c.ipForward ?? true,
    userlandProxy: c.userlandProxy ?? false,
    mtu: c.mtu,
  });
  network.containers = { get: (ref) => containers.get(ref), find: (id) => containers.store.find(id), isRunning };
  await network.init();
  return network;
}
