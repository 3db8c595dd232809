// process.rlimits from --ulimit. A container may not ask for more than the daemon holds: root
// here lacks CAP_SYS_RESOURCE, so the runtime would fail with a bare "permission denied". With
// no --ulimit nothing is set and the container inherits the daemon's limits.
import { readFileSync } from 'node:fs';
import { InvalidParameter } from '../../lib/errors.js';
import type { OciRlimit, RlimitValue, Ulimit } from './types.js';

/** go-units' ulimit names and the /proc/self/limits row each one is. */
const ULIMITS: Record<string, string> = {
  core: 'Max core file size',
  cpu: 'Max cpu time',
  data: 'Max data size',
  fsize: 'Max file size',
  locks: 'Max file locks',
  memlock: 'Max locked memory',
  msgqueue: 'Max msgqueue size',
  nice: 'Max nice priority',
  nofile: 'Max open files',
  nproc: 'Max processes',
  rss: 'Max resident set',
  rtprio: 'Max realtime priority',
  rttime: 'Max realtime timeout',
  sigpending: 'Max pending signals',
  stack: 'Max stack size',
  as: 'Max address space',
};

/** "unlimited" as a number: larger than any finite limit. */
export const RLIM_INFINITY = Number.POSITIVE_INFINITY;

/** The daemon's current limits, from /proc/self/limits. */
export function parseProcLimits(text: string): Record<string, RlimitValue> {
  const out: Record<string, RlimitValue> = {};
  const rows = text.split('\n');
  for (const [name, label] of Object.entries(ULIMITS)) {
    const row = rows.find((r) => r.startsWith(label + ' '));
    if (!row) continue;
    const fields = row.slice(label.length).trim().split(/\s+/);
    const num = (s: string | undefined) => (s === 'unlimited' ? RLIM_INFINITY : Number(s));
    out[name] = { soft: num(fields[0]), hard: num(fields[1]) };
  }
  return out;
}

export function readDaemonRlimits(path = '/proc/self/limits'): Record<string, RlimitValue> {
  return parseProcLimits(readFileSync(path, 'utf8'));
}

function show(n: number): string {
  return n === RLIM_INFINITY ? 'unlimited' : String(n);
}

export function buildRlimits(
  ulimits: Ulimit[] | null | undefined,
  daemon: Record<string, RlimitValue> | undefined,
): OciRlimit[] | undefined {
  if (!ulimits?.length) return undefined;
  const out: OciRlimit[] = [];
  for (const ul of ulimits) {
    const name = ul.Name;
    if (!(name in ULIMITS)) throw new InvalidParameter(`invalid ulimit type: ${name}`);
    // -1 is how the API spells "unlimited".
    const soft = ul.Soft < 0 ? RLIM_INFINITY : ul.Soft;
    const hard = ul.Hard < 0 ? RLIM_INFINITY : ul.Hard;
    if (soft > hard) {
      throw new InvalidParameter(`ulimit soft limit must be less than or equal to hard limit: ${show(soft)} > ${show(hard)}`);
    }
    const cap = daemon?.[name]?.hard;
    if (cap !== undefined && hard > cap) {
      throw new InvalidParameter(
        `ulimit ${name}=${show(soft)}:${show(hard)} exceeds the daemon's hard limit of ${show(cap)}: ` +
          `a container cannot raise a limit above its engine's`,
      );
    }
    // OCI wants uint64; RLIM_INFINITY is 2^64-1, which JSON numbers carry as this float.
    out.push({ type: `RLIMIT_${name.toUpperCase()}`, soft: toOci(soft), hard: toOci(hard) });
  }
  return out;
}

function toOci(n: number): number {
  return n === RLIM_INFINITY ? 18446744073709551615 : n;
}
