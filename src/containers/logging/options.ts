// Log drivers and their options (`--log-driver`, `--log-opt`, daemon.json `log-driver`/`log-opts`):
// validation with Docker's words, and the rotation policy a container's log is kept to.
//
// Decision: Docker's json-file is unbounded by default; Berth bounds every driver that stores logs.
// When the user gives no `max-size`, Berth records `max-size=20m` (and `max-file=5` unless given)
// in the container's LogConfig, so `docker inspect` shows the limits that actually apply and a
// later change of the daemon default does not alter existing containers. An explicit max-size
// keeps Docker's semantics (json-file then defaults to max-file=1).
import { InvalidParameter } from '../../lib/errors.js';

export type LogDriver = 'json-file' | 'local' | 'none';

export const LOG_DRIVERS: readonly LogDriver[] = ['json-file', 'local', 'none'];

export interface LogConfig {
  Type: string;
  Config: Record<string, string>;
}

/** What the rotator and reader need. `maxSize` 0 means unbounded. */
export interface LogPolicy {
  driver: LogDriver;
  /** Whether `docker logs` can read this driver. */
  readable: boolean;
  maxSize: number;
  /** Files kept, the live one included (Docker's meaning of max-file). */
  maxFile: number;
  compress: boolean;
}

export const BERTH_DEFAULT_MAX_SIZE = '20m';
export const BERTH_DEFAULT_MAX_FILE = '5';

/** Options every driver accepts (Docker's logger.builtInLogOpts plus the common attributes). */
const COMMON_KEYS = ['mode', 'max-buffer-size', 'labels', 'labels-regex', 'env', 'env-regex', 'tag'];
const DRIVER_KEYS: Record<Exclude<LogDriver, 'none'>, string[]> = {
  'json-file': ['max-file', 'max-size', 'compress'],
  local: ['max-file', 'max-size', 'compress'],
};

/**
 * Docker's units.FromHumanSize: decimal multiples ("10k" = 10000, "20m" = 20000000), an optional
 * `i`/`b` suffix ("10kb", "10KiB"), fractions allowed ("1.5m").
 */
export function parseHumanSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(s.trim());
  if (!m) throw new InvalidParameter(`invalid size: '${s}'`);
  const mult: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 };
  return Math.floor(Number(m[1]) * (m[2] ? mult[m[2].toLowerCase()]! : 1));
}

function parseBool(v: string, key: string): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  throw new InvalidParameter(`invalid boolean value for ${key}: strconv.ParseBool: parsing "${v}": invalid syntax`);
}

function parseCount(v: string): number {
  if (!/^[+-]?\d+$/.test(v)) throw new InvalidParameter(`strconv.Atoi: parsing "${v}": invalid syntax`);
  return Number(v);
}

/**
 * The LogConfig a new container records: the daemon's default driver (and its options when the
 * driver is the same, as dockerd merges them), validated, with Berth's bounded defaults filled in.
 */
export function resolveLogConfig(requested: { Type?: string; Config?: Record<string, string> } | undefined, daemonDefault: LogConfig): LogConfig {
  const type = requested?.Type || daemonDefault.Type;
  const config: Record<string, string> = { ...(requested?.Config ?? {}) };
  if (type === daemonDefault.Type) {
    for (const [k, v] of Object.entries(daemonDefault.Config)) if (!(k in config)) config[k] = v;
  }
  validateLogConfig(type, config);
  if (type !== 'none' && !('max-size' in config)) {
    config['max-size'] = BERTH_DEFAULT_MAX_SIZE;
    if (!('max-file' in config)) config['max-file'] = BERTH_DEFAULT_MAX_FILE;
  }
  policyOf({ Type: type, Config: config });
  return { Type: type, Config: config };
}

/** Checks the driver name and option keys as dockerd does at create; values are checked by policyOf. */
export function validateLogConfig(type: string, config: Record<string, string>): void {
  if (!(LOG_DRIVERS as readonly string[]).includes(type)) {
    throw new InvalidParameter(`logger: no log driver named '${type}' is registered`);
  }
  if (type === 'none') return;
  const mode = config.mode ?? '';
  if (mode !== '' && mode !== 'blocking' && mode !== 'non-blocking') throw new InvalidParameter(`logger: logging mode not supported: ${mode}`);
  if ('max-buffer-size' in config && mode !== 'non-blocking') {
    throw new InvalidParameter(`logger: max-buffer-size option is only supported with 'mode=non-blocking'`);
  }
  const allowed = [...COMMON_KEYS, ...DRIVER_KEYS[type as Exclude<LogDriver, 'none'>]];
  for (const key of Object.keys(config)) {
    if (allowed.includes(key)) continue;
    throw new InvalidParameter(type === 'json-file' ? `unknown log opt '${key}' for json-file log driver` : `unknown log opt '${key}' for log driver ${type}`);
  }
}

/** The rotation policy of a recorded LogConfig (values validated with the drivers' messages). */
export function policyOf(cfg: { Type?: string; Config?: Record<string, string> } | undefined): LogPolicy {
  const driver = (cfg?.Type || 'json-file') as LogDriver;
  const o = cfg?.Config ?? {};
  if (driver === 'none') return { driver, readable: false, maxSize: 0, maxFile: 1, compress: false };
  if (driver === 'local') {
    let maxSize = 20 * 1024 * 1024;
    let maxFile = 5;
    let compress = true;
    if (o['max-size'] !== undefined) maxSize = wrap(() => parseHumanSize(o['max-size']!), `invalid value for max-size: ${o['max-size']}`);
    if (o['max-file'] !== undefined) maxFile = wrap(() => parseCount(o['max-file']!), `invalid value for max-file: ${o['max-file']}`);
    if (o.compress !== undefined) compress = parseBool(o.compress, 'compress');
    if (maxFile < 0) throw new InvalidParameter('max-file must not be negative');
    if (compress && maxFile <= 1) throw new InvalidParameter('compression cannot be enabled when max file count is 1');
    // local's max-file=0 means "no rotation": keep a single unbounded file.
    return { driver, readable: true, maxSize: maxFile === 0 ? 0 : maxSize, maxFile: Math.max(maxFile, 1), compress };
  }
  let maxSize = 0;
  if (o['max-size'] !== undefined) {
    maxSize = parseHumanSize(o['max-size']);
    if (maxSize <= 0) throw new InvalidParameter('max-size must be a positive number');
  }
  let maxFile = 1;
  if (o['max-file'] !== undefined) {
    maxFile = parseCount(o['max-file']);
    if (maxFile < 1) throw new InvalidParameter('max-file cannot be less than 1');
  }
  let compress = false;
  if (o.compress !== undefined) {
    compress = parseBool(o.compress, 'compress');
    if (compress && (maxFile === 1 || maxSize === 0)) {
      throw new InvalidParameter('compress cannot be true when max-file is less than 2 or max-size is not set');
    }
  }
  return { driver, readable: true, maxSize, maxFile, compress };
}

function wrap<T>(f: () => T, prefix: string): T {
  try {
    return f();
  } catch (err) {
    throw new InvalidParameter(`${prefix}: ${(err as Error).message}`);
  }
}

/** Parses `--log-opt k=v` pairs as the CLI and dockerd's `--log-opt` flag do. */
export function parseLogOpts(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new InvalidParameter(`invalid key value pair format in driver options: ${p}`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}
