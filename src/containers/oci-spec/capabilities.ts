// Capability sets for a container: Docker's default 14, --cap-add/--cap-drop (with ALL), and
// --privileged. "All capabilities" means those this kernel knows that the daemon itself holds,
// since a runtime cannot grant a capability its parent lacks.
import { InvalidParameter } from '../../lib/errors.js';
import type { OciCapabilities } from './types.js';

/** Capability names by number (linux/capability.h). */
export const CAPABILITY_NAMES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** Docker's default set (moby oci/caps/defaults.go), in Docker's order. */
export function defaultCapabilities(): string[] {
  return [
    'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW',
    'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE',
    'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
  ];
}

export interface CapabilityEnv {
  capLastCap: number;
  /** The daemon's effective set as a bit mask; undefined means "assume all known". */
  daemonCaps?: bigint;
}

function known(env: CapabilityEnv): string[] {
  return CAPABILITY_NAMES.slice(0, Math.min(env.capLastCap, CAPABILITY_NAMES.length - 1) + 1);
}

/** Every capability a privileged container gets here. */
export function allCapabilities(env: CapabilityEnv): string[] {
  return known(env).filter((_, bit) => env.daemonCaps === undefined || ((env.daemonCaps >> BigInt(bit)) & 1n) === 1n);
}

/** Upper-cases, adds the CAP_ prefix and checks each name, as Docker does for CapAdd/CapDrop. */
export function normalizeCapabilities(caps: string[], env: CapabilityEnv): string[] {
  const available = new Set(allCapabilities(env));
  return caps.map((raw) => {
    let c = raw.toUpperCase();
    if (c === 'ALL') return c;
    if (!c.startsWith('CAP_')) c = 'CAP_' + c;
    if (!CAPABILITY_NAMES.includes(c)) {
      throw new InvalidParameter(`unknown capability: ${JSON.stringify(c)}`);
    }
    if (!available.has(c)) {
      throw new InvalidParameter(
        `capability not supported by your kernel or not available in the current environment: ${JSON.stringify(c)}`,
      );
    }
    return c;
  });
}

/** moby's TweakCapabilities: privileged → all; ALL in add → all minus drops; ALL in drop → adds only. */
export function tweakCapabilities(
  adds: string[] | null | undefined,
  drops: string[] | null | undefined,
  privileged: boolean,
  env: CapabilityEnv,
): string[] {
  if (privileged) return allCapabilities(env);
  const basics = defaultCapabilities();
  if (!adds?.length && !drops?.length) return basics;
  const capDrop = normalizeCapabilities(drops ?? [], env);
  const capAdd = normalizeCapabilities(adds ?? [], env);
  if (capAdd.includes('ALL')) return allCapabilities(env).filter((c) => !capDrop.includes(c));
  if (capDrop.includes('ALL')) return dedupe(capAdd);
  return dedupe([...basics.filter((c) => !capDrop.includes(c)), ...capAdd]);
}

// Docker keeps duplicates; runtimes accept them, but a clean list reads better in inspect output.
function dedupe(list: string[]): string[] {
  return [...new Set(list)];
}

/** Docker 20.10+ sets bounding/effective/permitted and leaves inheritable and ambient empty. */
export function toOciCapabilities(caps: string[]): OciCapabilities {
  return { bounding: [...caps], effective: [...caps], permitted: [...caps] };
}
