// Filesystem attachments as the docker CLI reads them: --mount's CSV syntax into a Mount object,
// -v/--volume split into HostConfig.Binds (named or host sources) and Config.Volumes (anonymous),
// and --tmpfs into HostConfig.Tmpfs.

import type { ApiMount } from '../../api/types/mount.js';
import { isAbsolute, resolve } from 'node:path';
import { ramInBytes } from '../units.js';

export type Mount = ApiMount;

/** encoding/csv's reading of one record: commas split fields, double quotes protect them. */
function csvFields(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quoted) {
      if (c === '"' && value[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"' && cur === '') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (quoted) throw new Error(`parse error on line 1, column ${value.length + 1}: extraneous or missing " in quoted-field`);
  out.push(cur);
  return out;
}

function boolValue(key: string, val: string, hasValue: boolean): boolean {
  if (!hasValue) return true;
  switch (val.toLowerCase()) {
    case 'true':
    case '1':
      return true;
    case 'false':
    case '0':
      return false;
    default:
      throw new Error(`invalid value for '${key}': invalid boolean value (${JSON.stringify(val)}): must be one of "true", "1", "false", or "0" (default "true")`);
  }
}

function setOnMap(m: Record<string, string> | null | undefined, kv: string): Record<string, string> {
  const out = { ...(m ?? {}) };
  const eq = kv.indexOf('=');
  if (eq === -1) out[kv] = '';
  else out[kv.slice(0, eq)] = kv.slice(eq + 1);
  return out;
}

/** One --mount value. */
export function parseMount(raw: string): Mount {
  const value = raw.trim();
  if (value === '') throw new Error('value is empty');
  const mount: Mount = { Type: 'volume' };
  for (const field of csvFields(value)) {
    const eq = field.indexOf('=');
    const hasValue = eq !== -1;
    let key = hasValue ? field.slice(0, eq) : field;
    const val = hasValue ? field.slice(eq + 1) : '';
    if (key.trim() !== key) throw new Error(`invalid option '${key.trim()}' in '${field}': option should not have whitespace`);
    if (hasValue) {
      if (val.trim() === '') throw new Error(`invalid value for '${key}': value is empty`);
      if (val.trim() !== val) throw new Error(`invalid value for '${key}' in '${field}': value should not have whitespace`);
    }
    key = key.toLowerCase();
    if (!hasValue && !['readonly', 'ro', 'volume-nocopy', 'bind-nonrecursive', 'bind-create-src'].includes(key)) {
      throw new Error(`invalid field '${field}' must be a key=value pair`);
    }
    switch (key) {
      case 'type':
        mount.Type = val.toLowerCase();
        break;
      case 'source':
      case 'src':
        mount.Source = !isAbsolute(val) && val.startsWith('.') ? resolve(val) : val;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        mount.Target = val;
        break;
      case 'readonly':
      case 'ro':
        mount.ReadOnly = boolValue(key, val, hasValue);
        break;
      case 'consistency':
        mount.Consistency = val.toLowerCase();
        break;
      case 'bind-propagation':
        (mount.BindOptions ??= {}).Propagation = val.toLowerCase();
        break;
      case 'bind-nonrecursive':
        throw new Error('bind-nonrecursive is deprecated, use bind-recursive=disabled instead');
      case 'bind-recursive':
        switch (val) {
          case 'enabled':
            break;
          case 'disabled':
            (mount.BindOptions ??= {}).NonRecursive = true;
            break;
          case 'writable':
            (mount.BindOptions ??= {}).ReadOnlyNonRecursive = true;
            break;
          case 'readonly':
            (mount.BindOptions ??= {}).ReadOnlyForceRecursive = true;
            break;
          default:
            throw new Error(`invalid value for ${key}: ${val} (must be "enabled", "disabled", "writable", or "readonly")`);
        }
        break;
      case 'bind-create-src':
        (mount.BindOptions ??= {}).CreateMountpoint = boolValue(key, val, hasValue);
        break;
      case 'volume-subpath':
        (mount.VolumeOptions ??= {}).Subpath = val;
        break;
      case 'volume-nocopy':
        (mount.VolumeOptions ??= {}).NoCopy = boolValue(key, val, hasValue);
        break;
      case 'volume-label': {
        const vo = (mount.VolumeOptions ??= {});
        vo.Labels = setOnMap(vo.Labels, val);
        break;
      }
      case 'volume-driver':
        ((mount.VolumeOptions ??= {}).DriverConfig ??= {}).Name = val;
        break;
      case 'volume-opt': {
        const dc = ((mount.VolumeOptions ??= {}).DriverConfig ??= {});
        dc.Options = setOnMap(dc.Options, val);
        break;
      }
      case 'image-subpath':
        (mount.ImageOptions ??= {}).Subpath = val;
        break;
      case 'tmpfs-size':
        try {
          (mount.TmpfsOptions ??= {}).SizeBytes = ramInBytes(val);
        } catch {
          throw new Error(`invalid value for ${key}: ${val}`);
        }
        break;
      case 'tmpfs-mode':
        if (!/^[0-7]+$/.test(val)) throw new Error(`invalid value for ${key}: ${val}`);
        (mount.TmpfsOptions ??= {}).Mode = parseInt(val, 8);
        break;
      default:
        throw new Error(`unknown option '${key}' in '${field}'`);
    }
  }
  if (!mount.Target) throw new Error('target is required');
  if (mount.BindOptions && mount.Type !== 'bind') throw new Error(`cannot mix 'bind-*' options with mount type '${mount.Type}'`);
  if (mount.VolumeOptions && mount.Type !== 'volume') throw new Error(`cannot mix 'volume-*' options with mount type '${mount.Type}'`);
  if (mount.ImageOptions && mount.Type !== 'image') throw new Error(`cannot mix 'image-*' options with mount type '${mount.Type}'`);
  if (mount.TmpfsOptions && mount.Type !== 'tmpfs') throw new Error(`cannot mix 'tmpfs-*' options with mount type '${mount.Type}'`);
  return mount;
}

export interface VolumeSplit {
  binds: string[];
  volumes: Record<string, Record<string, never>>;
}

/**
 * -v values: one with a source (host path or volume name) is a bind entry, kept as typed except
 * that a "./relative" host path becomes absolute; one without a source is an anonymous volume.
 */
export function splitVolumes(values: readonly string[]): VolumeSplit {
  const binds: string[] = [];
  const volumes: VolumeSplit['volumes'] = {};
  for (const v of values) {
    const parts = v.split(':');
    if (parts.length > 3) throw new Error(`invalid spec: ${v}: too many colons`);
    if (parts.some((p) => p === '')) throw new Error(`invalid spec: ${v}: empty section between colons`);
    if (parts.length === 1) {
      volumes[v] = {};
      continue;
    }
    let host = parts[0]!;
    if (!isAbsolute(host) && host.startsWith('.')) host = resolve(host);
    binds.push([host, ...parts.slice(1)].join(':'));
  }
  return { binds, volumes };
}

/** --tmpfs "/path[:options]" → HostConfig.Tmpfs. */
export function parseTmpfs(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of values) {
    const colon = t.indexOf(':');
    if (colon === -1) out[t] = '';
    else out[t.slice(0, colon)] = t.slice(colon + 1);
  }
  return out;
}
