// Docker's seccomp profile format and its conversion to the OCI `linux.seccomp` object, as moby's
// setupSeccomp does: the host's architectures from archMap, and each rule kept or dropped by its
// includes/excludes (capabilities in the bounding set, architecture, minimum kernel).
import { readFileSync } from 'node:fs';
import { InvalidParameter, SystemError } from '../lib/errors.js';

export const DEFAULT_PROFILE_PATH = '/usr/share/berth/seccomp.json';

export interface OciSeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

export interface OciSyscall {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: OciSeccompArg[];
}

export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: OciSyscall[];
}

interface Filter {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

export interface ProfileSyscall {
  name?: string;
  names?: string[];
  action: string;
  errnoRet?: number;
  args?: OciSeccompArg[] | null;
  comment?: string;
  includes?: Filter;
  excludes?: Filter;
}

/** Docker's profile file format (moby/profiles seccomp.Seccomp). */
export interface DockerSeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: { architecture: string; subArchitectures?: string[] }[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: ProfileSyscall[];
}

export interface SeccompTarget {
  /** The container's bounding capability set. */
  bounding: string[];
  /** Node's process.arch (x64, arm64 …). */
  nodeArch?: string;
  /** uname release, e.g. "6.18.0-1-amd64". */
  kernelRelease: string;
}

// Node's process.arch → libseccomp's native arch name used in profiles' `arches`.
const NODE_TO_NATIVE: Record<string, string> = {
  x64: 'amd64',
  ia32: 'x86',
  arm: 'arm',
  arm64: 'arm64',
  ppc64: 'ppc64le',
  s390x: 's390x',
  s390: 's390',
  mips: 'mips',
  mipsel: 'mipsle',
};

const NATIVE_TO_SECCOMP: Record<string, string> = {
  x86: 'SCMP_ARCH_X86',
  amd64: 'SCMP_ARCH_X86_64',
  arm: 'SCMP_ARCH_ARM',
  arm64: 'SCMP_ARCH_AARCH64',
  mips64: 'SCMP_ARCH_MIPS64',
  mips64n32: 'SCMP_ARCH_MIPS64N32',
  mipsel64: 'SCMP_ARCH_MIPSEL64',
  mips3l64n32: 'SCMP_ARCH_MIPSEL64N32',
  mipsle: 'SCMP_ARCH_MIPSEL',
  ppc: 'SCMP_ARCH_PPC',
  ppc64: 'SCMP_ARCH_PPC64',
  ppc64le: 'SCMP_ARCH_PPC64LE',
  s390: 'SCMP_ARCH_S390',
  s390x: 'SCMP_ARCH_S390X',
};

export function nativeArch(nodeArch: string = process.arch): string {
  return NODE_TO_NATIVE[nodeArch] ?? nodeArch;
}

export function parseProfile(body: string): DockerSeccompProfile {
  try {
    const p = JSON.parse(body) as DockerSeccompProfile;
    if (p === null || typeof p !== 'object' || Array.isArray(p)) throw new Error('not a JSON object');
    return p;
  } catch (err) {
    throw new InvalidParameter(`Decoding seccomp profile failed: ${(err as Error).message}`);
  }
}

const cache = new Map<string, DockerSeccompProfile>();

/** Docker's default profile, read once per path and kept. */
export function loadDefaultProfile(path = DEFAULT_PROFILE_PATH): DockerSeccompProfile {
  let p = cache.get(path);
  if (!p) {
    let body: string;
    try {
      body = readFileSync(path, 'utf8');
    } catch (err) {
      throw new SystemError(
        `default seccomp profile ${path} is missing (install it with scripts/fetch-seccomp-profile.sh): ${(err as Error).message}`,
      );
    }
    p = parseProfile(body);
    cache.set(path, p);
  }
  return p;
}

/** A user's profile file, read on each call (it may change between runs). */
export function loadProfileFile(path: string): DockerSeccompProfile {
  let body: string;
  try {
    body = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InvalidParameter(`opening seccomp profile (${path}) failed: ${(err as Error).message}`);
  }
  return parseProfile(body);
}

function parseKernel(v: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(v);
  if (!m) throw new InvalidParameter(`failed to parse kernel version ${JSON.stringify(v)}`);
  return [Number(m[1]), Number(m[2])];
}

function kernelAtLeast(release: string, min: string): boolean {
  const [k, maj] = parseKernel(release);
  const [mk, mmaj] = parseKernel(min);
  return k > mk || (k === mk && maj >= mmaj);
}

/** Converts a Docker profile for one container; undefined means "no seccomp filter". */
export function toOciSeccomp(profile: DockerSeccompProfile, target: SeccompTarget): OciSeccomp | undefined {
  if (!profile.defaultAction && !profile.syscalls?.length) return undefined;
  if (profile.architectures?.length && profile.archMap?.length) {
    throw new InvalidParameter(
      "both 'architectures' and 'archMap' are specified in the seccomp profile, use either 'architectures' or 'archMap'",
    );
  }
  const arch = nativeArch(target.nodeArch);
  const out: OciSeccomp = { defaultAction: profile.defaultAction };
  if (profile.defaultErrnoRet !== undefined) out.defaultErrnoRet = profile.defaultErrnoRet;
  if (profile.flags?.length) out.flags = [...profile.flags];
  if (profile.listenerPath) out.listenerPath = profile.listenerPath;
  if (profile.listenerMetadata) out.listenerMetadata = profile.listenerMetadata;
  const architectures = [...(profile.architectures ?? [])];
  const scmp = NATIVE_TO_SECCOMP[arch];
  const entry = profile.archMap?.find((a) => a.architecture === scmp);
  if (entry) architectures.push(entry.architecture, ...(entry.subArchitectures ?? []));
  if (architectures.length) out.architectures = architectures;

  const bounding = new Set(target.bounding);
  const syscalls: OciSyscall[] = [];
  for (const call of profile.syscalls ?? []) {
    if (call.name && call.names?.length) {
      throw new InvalidParameter(
        "both 'name' and 'names' are specified in the seccomp profile, use either 'name' or 'names'",
      );
    }
    const ex = call.excludes;
    if (ex?.arches?.length && ex.arches.includes(arch)) continue;
    if (ex?.caps?.length && ex.caps.some((c) => bounding.has(c))) continue;
    if (ex?.minKernel && kernelAtLeast(target.kernelRelease, ex.minKernel)) continue;
    const inc = call.includes;
    if (inc?.arches?.length && !inc.arches.includes(arch)) continue;
    if (inc?.caps?.length && !inc.caps.every((c) => bounding.has(c))) continue;
    if (inc?.minKernel && !kernelAtLeast(target.kernelRelease, inc.minKernel)) continue;

    const sc: OciSyscall = { names: call.name ? [call.name] : [...(call.names ?? [])], action: call.action };
    if (call.errnoRet !== undefined) sc.errnoRet = call.errnoRet;
    if (call.args?.length) {
      sc.args = call.args.map((a) => {
        const arg: OciSeccompArg = { index: a.index, value: a.value, op: a.op };
        if (a.valueTwo) arg.valueTwo = a.valueTwo;
        return arg;
      });
    }
    syscalls.push(sc);
  }
  out.syscalls = syscalls;
  return out;
}
