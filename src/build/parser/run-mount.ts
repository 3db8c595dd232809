// `RUN --mount=...` specifications (bind, cache, tmpfs, secret, ssh) parsed and validated as
// Docker's Dockerfile frontend does, with its error messages. Values may be expanded first.

import { withSuggestion } from './suggest.js';

export type MountType = 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
export type CacheSharing = 'shared' | 'private' | 'locked';

export interface RunMount {
  type: MountType;
  from: string;
  source: string;
  target: string;
  readOnly: boolean;
  /** tmpfs size in bytes; 0 when not given. */
  sizeLimit: number;
  cacheId: string;
  cacheSharing: CacheSharing | '';
  required: boolean;
  /** Secret exposed as this environment variable. */
  env?: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

const MOUNT_TYPES: readonly MountType[] = ['bind', 'cache', 'tmpfs', 'secret', 'ssh'];
const SHARING: readonly CacheSharing[] = ['shared', 'private', 'locked'];
const ALL_KEYS = [
  'type', 'from', 'source', 'target', 'readonly', 'id', 'sharing', 'required', 'size', 'mode', 'uid', 'gid',
  'src', 'dst', 'destination', 'ro', 'rw', 'readwrite', 'env',
];

export class MountSpecError extends Error {}

/** Go's strconv.ParseBool. */
export function parseGoBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

/** A CSV record (RFC 4180 quoting), as Docker reads mount specifications. */
export function parseCsvRecord(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new MountSpecError('failed to parse csv mounts: extraneous or missing " in quoted-field');
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i++];
      }
      if (i < line.length && line[i] !== ',') {
        throw new MountSpecError('failed to parse csv mounts: extraneous or missing " in quoted-field');
      }
    } else {
      while (i < line.length && line[i] !== ',') {
        if (line[i] === '"') throw new MountSpecError('failed to parse csv mounts: bare " in non-quoted-field');
        field += line[i++];
      }
    }
    fields.push(field);
    if (i >= line.length) return fields;
    i++; // the comma
  }
}

/** docker/go-units RAMInBytes: "64m", "1g", "512k", "1024" (binary multiples). */
export function ramInBytes(size: string): number {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(size);
  const num = m ? Number(m[1]) : NaN;
  if (!m || Number.isNaN(num)) throw new MountSpecError(`invalid size: '${size}'`);
  const exp = m[2] ? 'kmgtp'.indexOf(m[2].toLowerCase()) + 1 : 0;
  return Math.trunc(num * 1024 ** exp);
}

function parseUint(value: string, radix: 8 | 10): number | undefined {
  const re = radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!re.test(value)) return undefined;
  const n = Number.parseInt(value, radix);
  return n <= 0xffffffff ? n : undefined;
}

/**
 * Parses one `--mount` value. Without `expand`, only what Docker checks before expansion is
 * checked (syntax, and that `from` uses no variables); the fields are then not filled in.
 */
export function parseMountSpec(spec: string, expand?: (word: string) => string): RunMount {
  const fields = parseCsvRecord(spec);
  const m: RunMount = {
    type: 'bind', from: '', source: '', target: '', readOnly: false, sizeLimit: 0,
    cacheId: '', cacheSharing: '', required: false,
  };
  let roAuto = true;
  for (const field of fields) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    let value = eq < 0 ? '' : field.slice(eq + 1);
    if (eq < 0) {
      if (!expand) continue;
      if (key === 'readonly' || key === 'ro') {
        m.readOnly = true;
        roAuto = false;
        continue;
      }
      if (key === 'readwrite' || key === 'rw') {
        m.readOnly = false;
        roAuto = false;
        continue;
      }
      if (key === 'required') {
        if (m.type === 'secret' || m.type === 'ssh') {
          m.required = true;
          continue;
        }
        throw new MountSpecError(`unexpected key '${key}' for mount type '${m.type}'`);
      }
      throw new MountSpecError(`invalid field '${field}' must be a key=value pair`);
    }
    if (expand) {
      value = expand(value);
    } else if (key === 'from') {
      const idx = value.indexOf('$');
      if (idx !== -1 && idx !== value.length - 1) {
        throw new MountSpecError(`'${key}' doesn't support variable expansion, define alias stage instead`);
      }
      continue;
    } else {
      continue;
    }
    const bool = (v: string) => {
      const b = parseGoBool(v);
      if (b === undefined) throw new MountSpecError(`invalid value for ${key}: ${v}`);
      return b;
    };
    switch (key) {
      case 'type': {
        const t = value.toLowerCase() as MountType;
        if (!MOUNT_TYPES.includes(t)) {
          throw new MountSpecError(withSuggestion(`unsupported mount type "${value}"`, value, MOUNT_TYPES, true));
        }
        m.type = t;
        break;
      }
      case 'from':
        m.from = value;
        break;
      case 'source':
      case 'src':
        m.source = value;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        m.target = value;
        break;
      case 'readonly':
      case 'ro':
        m.readOnly = bool(value);
        roAuto = false;
        break;
      case 'readwrite':
      case 'rw':
        m.readOnly = !bool(value);
        roAuto = false;
        break;
      case 'required':
        if (m.type !== 'secret' && m.type !== 'ssh') throw new MountSpecError(`unexpected key '${key}' for mount type '${m.type}'`);
        m.required = bool(value);
        break;
      case 'size':
        if (m.type !== 'tmpfs') throw new MountSpecError(`unexpected key '${key}' for mount type '${m.type}'`);
        try {
          m.sizeLimit = ramInBytes(value);
        } catch {
          throw new MountSpecError(`invalid value for ${key}: ${value}`);
        }
        break;
      case 'id':
        m.cacheId = value;
        break;
      case 'sharing': {
        const s = value.toLowerCase() as CacheSharing;
        if (!SHARING.includes(s)) {
          throw new MountSpecError(withSuggestion(`unsupported sharing value "${value}"`, value, SHARING, true));
        }
        m.cacheSharing = s;
        break;
      }
      case 'mode':
      case 'uid':
      case 'gid': {
        const n = parseUint(value, key === 'mode' ? 8 : 10);
        if (n === undefined) throw new MountSpecError(`invalid value ${value} for ${key}`);
        m[key] = n;
        break;
      }
      case 'env':
        m.env = value;
        break;
      default:
        throw new MountSpecError(withSuggestion(`unexpected key '${key}' in '${field}'`, key, ALL_KEYS, true));
    }
  }

  if (m.type !== 'secret' && m.type !== 'ssh' && m.type !== 'cache') {
    for (const k of ['mode', 'uid', 'gid'] as const) {
      if (m[k] !== undefined) throw new MountSpecError(`${k} not allowed for "${m.type}" type mounts`);
    }
  }
  if (roAuto) m.readOnly = !(m.type === 'cache' || m.type === 'tmpfs');
  if (m.type === 'secret') {
    if (m.from !== '') throw new MountSpecError('secret mount should not have a from');
    if (m.cacheSharing !== '') throw new MountSpecError('secret mount should not define sharing');
    if (m.source === '' && m.target === '' && m.cacheId === '') {
      throw new MountSpecError('invalid secret mount. one of source, target required');
    }
    if (m.source !== '' && m.cacheId !== '') throw new MountSpecError("both source and id can't be set");
  }
  if (m.cacheSharing !== '' && m.type !== 'cache') throw new MountSpecError(`invalid cache sharing set for ${m.type} mount`);
  return m;
}
