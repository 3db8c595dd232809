// linux.sysctl: the kernel.domainname entry that carries --domainname, Docker's two network
// defaults for a private network namespace, then the user's --sysctl values. Only sysctls that
// live in a namespace the container owns are accepted, with the runtime's wording, so the user
// sees the problem at create time instead of as an OCI runtime failure.
import { InvalidParameter } from '../../lib/errors.js';

const IPC_SYSCTLS = new Set([
  'kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem',
  'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced',
]);

export interface SysctlScope {
  /** The container has its own (created or joined) network namespace. */
  privateNet: boolean;
  privateIpc: boolean;
  privateUts: boolean;
}

export function validateSysctls(sysctls: Record<string, string>, scope: SysctlScope): void {
  for (const key of Object.keys(sysctls)) {
    if (IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.')) {
      if (scope.privateIpc) continue;
      throw new InvalidParameter(`sysctl ${JSON.stringify(key)} is not allowed in the hosts ipc namespace`);
    }
    if (key.startsWith('net.')) {
      if (scope.privateNet) continue;
      throw new InvalidParameter(`sysctl ${JSON.stringify(key)} is not allowed in the hosts network namespace`);
    }
    if (scope.privateUts && key === 'kernel.domainname') continue;
    if (scope.privateUts && key === 'kernel.hostname') {
      throw new InvalidParameter(`sysctl ${JSON.stringify(key)} is not allowed as it conflicts with the OCI "hostname" field`);
    }
    throw new InvalidParameter(`sysctl ${JSON.stringify(key)} is not in a separate kernel namespace`);
  }
}

export interface SysctlPlan extends SysctlScope {
  domainname: string;
  /** dockerd adds its network defaults only for a network namespace of the container's own. */
  ownNet: boolean;
  /** In a user namespace dockerd leaves out the ping range (its gids are not all mapped there). */
  userns?: boolean;
  /**
   * The container has a user namespace but the host's owns its network namespace (one shared
   * with a container that is not remapped): the port sysctl cannot be written there either.
   */
  foreignNet?: boolean;
  user: Record<string, string> | null | undefined;
  sysctlExists: (name: string) => boolean;
}

export function buildSysctls(plan: SysctlPlan): Record<string, string> {
  const out: Record<string, string> = {};
  if (plan.domainname && plan.privateUts) out['kernel.domainname'] = plan.domainname;
  if (plan.ownNet) {
    // Lets unprivileged users ping and bind low ports without CAP_NET_RAW/CAP_NET_BIND_SERVICE.
    if (!plan.userns && plan.sysctlExists('net.ipv4.ping_group_range')) out['net.ipv4.ping_group_range'] = '0 2147483647';
    if (!plan.foreignNet && plan.sysctlExists('net.ipv4.ip_unprivileged_port_start')) out['net.ipv4.ip_unprivileged_port_start'] = '0';
  }
  const user = plan.user ?? {};
  validateSysctls(user, plan);
  return { ...out, ...user };
}
