// Docker's mount syntaxes read as dockerd reads them (moby volume/mounts linux parser): a -v
// string (HostConfig.Binds), a --mount object (HostConfig.Mounts) and a --volumes-from entry,
// each checked with Docker's rules and error texts. Pure apart from the bind-source check.
import type { ApiMount } from '../api/types/mount.js';
import { posix } from 'node:path';
import { InvalidParameter } from '../lib/errors.js';

export type { ApiMount };

export type MountType = 'bind' | 'volume' | 'tmpfs';

/** One parsed attachment, before any volume exists. */
export interface ParsedMount {
  type: MountType;
  /** bind: the host path; volume: the volume name ('' for an anonymous volume). */
  source: string;
  destination: string;
  rw: boolean;
  /** The -v mode string as typed ('' for --mount). */
  mode: string;
  propagation: string;
  nonRecursive: boolean;
  /** Copy the image's content into an empty volume (volumes only). */
  copyData: boolean;
  driver: string;
  driverOptions?: Record<string, string>;
  labels?: Record<string, string>;
  /** -v creates a missing host directory; --mount refuses it. */
  createSource: boolean;
  /** tmpfs: the mount data (size=…,mode=…). */
  tmpfsData: string;
}

const RW_MODES = new Set(['rw', 'ro', 'ro-non-recursive', 'ro-force-recursive', 'rro']);
const LABEL_MODES = new Set(['z', 'Z']);
export const PROPAGATION_MODES = new Set(['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared']);
const CONSISTENCY_MODES = new Set(['consistent', 'cached', 'delegated', 'default']);
const DEFAULT_PROPAGATION = 'rprivate';

const invalidSpec = (raw: string) => `invalid volume specification: '${raw}'`;
const invalidMode = (mode: string) => new InvalidParameter(`invalid mode: ${mode}`);

class MountConfigError extends InvalidParameter {
  constructor(type: string | undefined, detail: string) {
    super(`invalid mount config for type ${JSON.stringify(type ?? '')}: ${detail}`);
  }
}

/** Each kind of mode may appear once; anything unknown makes the whole string invalid. */
export function validMountMode(mode: string): boolean {
  if (mode === '') return true;
  const counts = { rw: 0, label: 0, prop: 0, copy: 0, consistency: 0 };
  for (const o of mode.split(',')) {
    if (RW_MODES.has(o)) counts.rw++;
    else if (LABEL_MODES.has(o)) counts.label++;
    else if (PROPAGATION_MODES.has(o)) counts.prop++;
    else if (o === 'nocopy') counts.copy++;
    else if (CONSISTENCY_MODES.has(o)) counts.consistency++;
    else return false;
  }
  return Object.values(counts).every((n) => n <= 1);
}

function readWrite(mode: string): boolean {
  return validMountMode(mode) && !mode.split(',').some((o) => o === 'ro' || o === 'rro' || o === 'ro-force-recursive' || o === 'ro-non-recursive');
}

function propagationOf(mode: string): string | undefined {
  return mode.split(',').find((o) => PROPAGATION_MODES.has(o));
}

function checkTarget(m: ApiMount): void {
  if (!m.Target) throw new MountConfigError(m.Type, 'field Target must not be empty');
  if (posix.normalize(m.Target.replace(/\\/g, '/')).replace(/(.)\/+$/, '$1') === '/') {
    throw new MountConfigError(m.Type, "invalid specification: destination can't be '/'");
  }
  checkAbsolute(m, m.Target);
}

function checkAbsolute(m: ApiMount, p: string): void {
  const s = p.replace(/\\/g, '/');
  if (!posix.isAbsolute(s)) throw new MountConfigError(m.Type, `invalid mount path: '${s}' mount path must be absolute`);
}

/** tmpfs size in the largest unit that divides it, as dockerd writes it. */
function tmpfsData(opt: ApiMount['TmpfsOptions'], readOnly: boolean): string {
  const out: string[] = [];
  if (readOnly) out.push('ro');
  if (opt?.Mode) out.push(`mode=${opt.Mode.toString(8)}`);
  if (opt?.SizeBytes) {
    let size = opt.SizeBytes;
    let suffix = '';
    for (const [s, d] of [['g', 2 ** 30], ['m', 2 ** 20], ['k', 2 ** 10]] as const) {
      if (size % d === 0) {
        size /= d;
        suffix = s;
        break;
      }
    }
    out.push(`size=${size}${suffix}`);
  }
  for (const o of opt?.Options ?? []) {
    if (o.length < 1 || o.length > 2) throw new Error('invalid option array length');
    if (o[0] !== 'exec' && o[0] !== 'noexec') throw new Error(`invalid option: ${o[0]}`);
    out.push(o.length === 1 ? o[0]! : `${o[0]}=${o[1]}`);
  }
  return out.join(',');
}

/**
 * Checks a --mount object. `sourceExists` is consulted for bind sources when `checkSource` is set
 * (it is for HostConfig.Mounts, not for -v strings, which create what is missing).
 */
export function validateMount(m: ApiMount, checkSource: boolean, sourceExists: (p: string) => boolean): void {
  checkTarget(m);
  switch (m.Type) {
    case 'bind': {
      if (!m.Source) throw new MountConfigError(m.Type, 'field Source must not be empty');
      const prop = m.BindOptions?.Propagation;
      if (prop && !PROPAGATION_MODES.has(prop)) throw new MountConfigError(m.Type, `invalid propagation mode: ${prop}`);
      if (m.VolumeOptions) throw new MountConfigError(m.Type, 'field VolumeOptions must not be specified');
      checkAbsolute(m, m.Source);
      if (checkSource && !m.BindOptions?.CreateMountpoint && !sourceExists(m.Source)) {
        throw new MountConfigError(m.Type, `bind source path does not exist: ${m.Source}`);
      }
      break;
    }
    case 'volume': {
      if (m.BindOptions) throw new MountConfigError(m.Type, 'field BindOptions must not be specified');
      const anonymous = !m.Source;
      if (m.VolumeOptions?.Subpath) {
        if (anonymous) throw new MountConfigError(m.Type, 'must not set Subpath when using anonymous volumes');
        throw new MountConfigError(m.Type, 'volume subpaths are not supported by Berth');
      }
      if (m.ReadOnly && anonymous) throw new MountConfigError(m.Type, 'must not set ReadOnly mode when using anonymous volumes');
      break;
    }
    case 'tmpfs':
      if (m.BindOptions) throw new MountConfigError(m.Type, 'field BindOptions must not be specified');
      if (m.Source) throw new MountConfigError(m.Type, 'field Source must not be specified');
      try {
        tmpfsData(m.TmpfsOptions, !!m.ReadOnly);
      } catch (err) {
        throw new MountConfigError(m.Type, (err as Error).message);
      }
      break;
    default:
      throw new MountConfigError(m.Type, 'mount type unknown');
  }
}

function toParsed(m: ApiMount, mode: string, createSource: boolean): ParsedMount {
  const destination = posix.normalize(m.Target!.replace(/\\/g, '/')).replace(/(.)\/+$/, '$1');
  const p: ParsedMount = {
    type: m.Type as MountType,
    source: '',
    destination,
    rw: !m.ReadOnly,
    mode,
    propagation: '',
    nonRecursive: false,
    copyData: true,
    driver: '',
    createSource,
    tmpfsData: '',
  };
  if (m.Type === 'volume') {
    p.source = m.Source ?? '';
    p.driver = m.VolumeOptions?.DriverConfig?.Name || '';
    if (m.VolumeOptions?.NoCopy) p.copyData = false;
    if (m.VolumeOptions?.DriverConfig?.Options) p.driverOptions = { ...m.VolumeOptions.DriverConfig.Options };
    if (m.VolumeOptions?.Labels) p.labels = { ...m.VolumeOptions.Labels };
  } else if (m.Type === 'bind') {
    p.source = posix.normalize(m.Source!.replace(/\\/g, '/')).replace(/(.)\/+$/, '$1');
    p.propagation = m.BindOptions?.Propagation || DEFAULT_PROPAGATION;
    p.nonRecursive = !!m.BindOptions?.NonRecursive;
    p.copyData = false;
  } else {
    p.copyData = false;
    p.tmpfsData = tmpfsData(m.TmpfsOptions, !!m.ReadOnly);
  }
  return p;
}

/** One HostConfig.Binds entry: `[SRC:]DST[:MODE]`. An absolute SRC is a bind, anything else a volume name. */
export function parseBind(raw: string, volumeDriver = ''): ParsedMount {
  const arr = splitN(raw, ':', 4);
  if (arr[0] === '') throw new InvalidParameter(invalidSpec(raw));
  const spec: ApiMount = {};
  let mode = '';
  switch (arr.length) {
    case 1:
      spec.Target = arr[0];
      break;
    case 2:
      // "/foo:rw" names a destination and a mode but no source.
      if (validMountMode(arr[1]!)) throw new InvalidParameter(invalidSpec(raw));
      spec.Source = arr[0];
      spec.Target = arr[1];
      break;
    case 3:
      spec.Source = arr[0];
      spec.Target = arr[1];
      mode = arr[2]!;
      break;
    default:
      throw new InvalidParameter(invalidSpec(raw));
  }
  if (!validMountMode(mode)) throw invalidMode(mode);
  spec.Type = spec.Source !== undefined && posix.isAbsolute(spec.Source) ? 'bind' : 'volume';
  spec.ReadOnly = !readWrite(mode);
  if (volumeDriver && spec.Type === 'volume') spec.VolumeOptions = { DriverConfig: { Name: volumeDriver } };
  if (mode.split(',').includes('nocopy')) spec.VolumeOptions = { ...(spec.VolumeOptions ?? {}), NoCopy: true };
  const prop = propagationOf(mode);
  if (prop) spec.BindOptions = { Propagation: prop };
  try {
    validateMount(spec, false, () => true);
  } catch (err) {
    throw new InvalidParameter(`${invalidSpec(raw)}: ${(err as Error).message}`);
  }
  return toParsed(spec, mode, true);
}

/** One HostConfig.Mounts entry. */
export function parseMount(m: ApiMount, sourceExists: (p: string) => boolean): ParsedMount {
  validateMount(m, true, sourceExists);
  return toParsed(m, '', false);
}

/** A --volumes-from entry: `CONTAINER[:ro|rw]`. */
export function parseVolumesFrom(spec: string): { container: string; mode: string; rw: boolean } {
  if (spec === '') throw new InvalidParameter('volumes-from specification cannot be an empty string');
  const i = spec.indexOf(':');
  const container = i < 0 ? spec : spec.slice(0, i);
  const mode = i < 0 ? '' : spec.slice(i + 1);
  if (mode === '') return { container, mode: 'rw', rw: true };
  if (!validMountMode(mode)) throw invalidMode(mode);
  // Propagation and copy modes are not inherited through --volumes-from.
  if (propagationOf(mode) || mode.split(',').includes('nocopy')) throw invalidMode(mode);
  return { container, mode, rw: readWrite(mode) };
}

function splitN(s: string, sep: string, n: number): string[] {
  const out: string[] = [];
  let rest = s;
  while (out.length < n - 1) {
    const i = rest.indexOf(sep);
    if (i < 0) break;
    out.push(rest.slice(0, i));
    rest = rest.slice(i + 1);
  }
  out.push(rest);
  return out;
}
