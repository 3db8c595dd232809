// Docker's unit conversions as the CLI shows and parses them (go-units and Go's time package):
// human sizes ("2.03MB"), relative durations ("5 minutes"), RAMInBytes ("32m"), Go durations
// ("1m30s") and nano-CPUs ("0.5"). Errors carry the same wording as the Go originals.

const decimalAbbrs = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/** Go's fmt "%.<precision>g": shortest of %e/%f, trailing zeros dropped, two-digit exponent. */
export function formatGoG(value: number, precision: number): string {
  if (value === 0) return '0';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : value < 0 ? '-Inf' : 'NaN';
  const p = precision === 0 ? 1 : precision;
  const [mantissa, expStr] = value.toExponential(p - 1).split('e');
  const exp = Number(expStr);
  if (exp < -4 || exp >= p) {
    const m = mantissa!.includes('.') ? mantissa!.replace(/0+$/, '').replace(/\.$/, '') : mantissa!;
    const sign = exp < 0 ? '-' : '+';
    return `${m}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const fixed = value.toFixed(Math.max(0, p - 1 - exp));
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}

/** units.HumanSizeWithPrecision: decimal (1000-based) units, as `docker images` prints sizes. */
export function humanSizeWithPrecision(size: number, precision: number): string {
  let i = 0;
  while (size >= 1000 && i < decimalAbbrs.length - 1) {
    size /= 1000;
    i++;
  }
  return formatGoG(size, precision) + decimalAbbrs[i];
}

/** units.HumanSize (precision 4). */
export function humanSize(size: number): string {
  return humanSizeWithPrecision(size, 4);
}

export { humanDuration } from '../lib/human-duration.js';
import { humanDuration } from '../lib/human-duration.js';

/** "<HumanDuration> ago" for a Unix timestamp in seconds, as the CREATED columns show it. */
export function timeAgo(unixSeconds: number, now = Date.now()): string {
  return humanDuration(now - unixSeconds * 1000) + ' ago';
}

const binaryMap: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
const decimalMap: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 };

function parseSize(sizeStr: string, map: Record<string, number>): number {
  let sep = -1;
  for (let i = sizeStr.length - 1; i >= 0; i--) {
    if ('01234567890. '.includes(sizeStr[i]!)) {
      sep = i;
      break;
    }
  }
  if (sep === -1) throw new Error(`invalid size: '${sizeStr}'`);
  let num: string;
  let sfx: string;
  if (sizeStr[sep] !== ' ') {
    num = sizeStr.slice(0, sep + 1);
    sfx = sizeStr.slice(sep + 1);
  } else {
    num = sizeStr.slice(0, sep);
    sfx = sizeStr.slice(sep + 1);
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(num)) {
    throw new Error(`strconv.ParseFloat: parsing ${goQuote(num)}: invalid syntax`);
  }
  let size = Number(num);
  if (size < 0) throw new Error(`invalid size: '${sizeStr}'`);
  if (sfx.length === 0) return Math.trunc(size);
  const bad = (): never => {
    throw new Error(`invalid suffix: '${sfx}'`);
  };
  if (sfx.length > 3) bad();
  sfx = sfx.toLowerCase();
  if (sfx[0] === 'b') {
    if (sfx.length > 1) bad();
    return Math.trunc(size);
  }
  const mul = map[sfx[0]!];
  if (mul === undefined) bad();
  size *= mul!;
  if ((sfx.length === 2 && sfx[1] !== 'b') || (sfx.length === 3 && sfx.slice(1) !== 'ib')) bad();
  return Math.trunc(size);
}

/** units.RAMInBytes: "32m" → 33554432 (binary multiples whatever the suffix spelling). */
export function ramInBytes(size: string): number {
  return parseSize(size, binaryMap);
}

/** units.FromHumanSize: decimal multiples. */
export function fromHumanSize(size: string): number {
  return parseSize(size, decimalMap);
}

/** Go's strconv.Quote for the ASCII strings that appear in error messages. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

const durationUnits: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3,
  'μs': 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's time.ParseDuration; the result is in nanoseconds. */
export function parseGoDuration(s: string): number {
  const orig = s;
  const invalid = (): never => {
    throw new Error(`time: invalid duration ${goQuote(orig)}`);
  };
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') invalid();
  let total = 0;
  while (s !== '') {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    if (m[0] === '' || m[0] === '.') invalid();
    const whole = m[1] ?? '';
    const frac = m[2] ?? '';
    if (whole === '' && frac === '') invalid();
    s = s.slice(m[0].length);
    const u = /^[^\d.]*/.exec(s)![0];
    if (u === '') throw new Error(`time: missing unit in duration ${goQuote(orig)}`);
    const mul = durationUnits[u];
    if (mul === undefined) throw new Error(`time: unknown unit ${goQuote(u)} in duration ${goQuote(orig)}`);
    s = s.slice(u.length);
    total += Number(whole || '0') * mul + (frac ? Math.round(Number('0.' + frac) * mul) : 0);
  }
  return neg ? -total : total;
}

/** Go's Duration.String for whole-nanosecond values ("1m30s", "500ms", "0s"). */
export function formatGoDuration(ns: number): string {
  if (ns === 0) return '0s';
  const neg = ns < 0;
  let u = Math.abs(ns);
  let out: string;
  if (u < 1e9) {
    const [unit, div] = u < 1e3 ? ['ns', 1] : u < 1e6 ? ['µs', 1e3] : ['ms', 1e6];
    out = trimFloat(u / (div as number)) + unit;
  } else {
    const h = Math.floor(u / 3600e9);
    u -= h * 3600e9;
    const m = Math.floor(u / 60e9);
    u -= m * 60e9;
    const sec = trimFloat(u / 1e9) + 's';
    out = (h ? `${h}h` : '') + (h || m ? `${m}m` : '') + sec;
  }
  return (neg ? '-' : '') + out;
}

function trimFloat(n: number): string {
  return String(Number(n.toFixed(9)));
}

/** opts.ParseCPUs: a rational number of CPUs as nano-CPUs ("0.5" → 500000000). */
export function parseNanoCPUs(value: string): number {
  let m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(value);
  let num: bigint;
  let den: bigint;
  if (m && (m[2] || m[3])) {
    const digits = (m[2] ?? '') + (m[3] ?? '');
    const exp = Number(m[4] ?? 0) - (m[3]?.length ?? 0);
    num = BigInt(digits || '0') * (m[1] === '-' ? -1n : 1n);
    den = 1n;
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else den = 10n ** BigInt(-exp);
  } else if ((m = /^([+-]?\d+)\/(\d+)$/.exec(value)) && BigInt(m[2]!) !== 0n) {
    num = BigInt(m[1]!);
    den = BigInt(m[2]!);
  } else {
    throw new Error(`failed to parse ${value} as a rational number`);
  }
  const nano = num * 1_000_000_000n;
  if (nano % den !== 0n) throw new Error('value is too precise');
  return Number(nano / den);
}
