// Which containers of a remapping daemon get a user namespace (all but `--userns=host`) and the
// HostConfig combinations dockerd refuses for them, with dockerd's wording.
import { InvalidParameter } from '../lib/errors.js';
import type { IdMapping } from './id-mapping.js';

export interface UsernsHostConfig {
  UsernsMode?: string;
  Privileged?: boolean;
  NetworkMode?: string;
  PidMode?: string;
}

/** The mapping a container runs with, or undefined for none (no remapping, or `--userns=host`). */
export function containerMapping(hc: UsernsHostConfig, mapping: IdMapping | undefined): IdMapping | undefined {
  return mapping && hc.UsernsMode !== 'host' ? mapping : undefined;
}

/** At create: `--userns` takes "" or "host"; a remapped container may not share the host's root powers. */
export function validateUserns(hc: UsernsHostConfig, mapping: IdMapping | undefined): void {
  const mode = hc.UsernsMode ?? '';
  if (mode !== '' && mode !== 'host') throw new InvalidParameter(`invalid USER mode: ${mode}`);
  if (!containerMapping(hc, mapping)) return;
  if (hc.Privileged) {
    throw new InvalidParameter('privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode');
  }
  if (hc.NetworkMode === 'host') throw new InvalidParameter("cannot share the host's network namespace when user namespaces are enabled");
  if (hc.PidMode === 'host') throw new InvalidParameter('cannot share the host PID namespace when user namespaces are enabled');
}

/** The mapping of a container by id, for code that knows only the id (the network sandbox). */
export function remappedContainer(containers: { get(ref: string): { HostConfig: UsernsHostConfig } }, id: string, mapping: IdMapping): IdMapping | undefined {
  try {
    return containerMapping(containers.get(id).HostConfig, mapping);
  } catch {
    return undefined;
  }
}
