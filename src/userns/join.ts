// Which existing user namespace a remapped container joins instead of making its own: the one
// owning the network namespace the daemon made for it, or, as in Docker, the one of a remapped
// container whose network (else IPC or PID) namespace it shares — a namespace can only be fully
// used (sysfs, mqueue, sysctls) from the user namespace that owns it.
import { userNamespaceFile } from './namespaces.js';
import { containerMapping, type UsernsHostConfig } from './container-checks.js';
import type { IdMapping } from './id-mapping.js';

export interface PeerContainer {
  HostConfig: UsernsHostConfig;
  State: { Pid?: number };
}

/**
 * `sandbox` is the daemon-made network namespace (undefined when the runtime makes or skips it);
 * `modes` the container's `container:<ref>` modes. Returns the user namespace path to join, or
 * undefined when the runtime makes a new one.
 */
export function ownedUserns(
  sandbox: string | undefined,
  modes: { net?: string; ipc?: string; pid?: string },
  lookup: (ref: string) => PeerContainer,
  mapping: IdMapping | undefined,
): string | undefined {
  if (sandbox) return userNamespaceFile(sandbox);
  const peerRef = (mode: string | undefined) => /^container:(.+)$/.exec(mode ?? '')?.[1];
  const ref = peerRef(modes.net) ?? peerRef(modes.ipc) ?? peerRef(modes.pid);
  if (!ref) return undefined;
  const peer = lookup(ref);
  return containerMapping(peer.HostConfig, mapping) && peer.State.Pid ? `/proc/${peer.State.Pid}/ns/user` : undefined;
}
