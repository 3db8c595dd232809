// A command-line flag parser with spf13/pflag's rules and error texts, which the docker CLI
// inherits: --long[=v], -s v / -sv / -s=v, combined boolean shorthands (-it), repeatable list
// and map flags, `--` terminator, and non-interspersed parsing for run/exec.

import { goQuote, parseGoDuration, parseNanoCPUs, ramInBytes } from './units.js';

export type FlagKind =
  | 'bool'
  | 'string'
  | 'int'
  | 'uint16'
  | 'uint64'
  | 'duration'
  | 'bytes'
  | 'swapbytes'
  | 'decimal'
  | 'list'
  | 'map';

export interface FlagSpec {
  name: string;
  short?: string;
  kind: FlagKind;
  help: string;
  /** Type word shown in help ("list", "map", "ulimit" …); defaults from kind. */
  typeName?: string;
  default?: unknown;
  /** Default text shown in help when it differs from String(default). */
  defaultText?: string;
  hidden?: boolean;
  /** Another spelling of an existing flag (--net for --network): values go to that flag. */
  aliasOf?: string;
  /** For list and map flags: checks and normalizes one occurrence; throw Error to reject. */
  parse?: (raw: string) => unknown;
}

/** A usage error: Docker prints it with the command's usage line and exits 125. */
export class FlagError extends Error {}

export interface ParseOptions {
  /** false: the first positional argument ends flag parsing (docker run IMAGE CMD…). */
  interspersed?: boolean;
}

export class ParsedFlags {
  constructor(
    private readonly values: Map<string, unknown>,
    private readonly changedSet: Set<string>,
    readonly args: string[],
  ) {}

  changed(name: string): boolean {
    return this.changedSet.has(name);
  }
  bool(name: string): boolean {
    return Boolean(this.values.get(name));
  }
  string(name: string): string {
    return (this.values.get(name) as string | undefined) ?? '';
  }
  number(name: string): number {
    return (this.values.get(name) as number | undefined) ?? 0;
  }
  list<T = string>(name: string): T[] {
    return (this.values.get(name) as T[] | undefined) ?? [];
  }
  map(name: string): Record<string, string> {
    return (this.values.get(name) as Record<string, string> | undefined) ?? {};
  }
  get(name: string): unknown {
    return this.values.get(name);
  }
}

export const helpFlag: FlagSpec = { name: 'help', kind: 'bool', help: 'Print usage' };

function zeroValue(spec: FlagSpec): unknown {
  if (spec.default !== undefined) return spec.default;
  switch (spec.kind) {
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'list':
      return [];
    case 'map':
      return {};
    default:
      return 0;
  }
}

function parseBool(v: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw new Error(`strconv.ParseBool: parsing ${goQuote(v)}: invalid syntax`);
}

/** strconv.ParseInt(s, 0, bits) / ParseUint: base prefixes allowed, range checked. */
function parseGoInt(v: string, signed: boolean, bits: number): number {
  const fn = signed ? 'strconv.ParseInt' : 'strconv.ParseUint';
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[1-9][0-9]*|0)$/.exec(v.replaceAll('_', ''));
  if (!m || (!signed && m[1] !== '')) throw new Error(`${fn}: parsing ${goQuote(v)}: invalid syntax`);
  let digits = m[2]!;
  if (/^0[0-7]+$/.test(digits)) digits = '0o' + digits.slice(1);
  let n = BigInt(digits.toLowerCase());
  if (m[1] === '-') n = -n;
  const max = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  const min = signed ? -(1n << BigInt(bits - 1)) : 0n;
  if (n > max || n < min) throw new Error(`${fn}: parsing ${goQuote(v)}: value out of range`);
  return Number(n);
}

function convert(spec: FlagSpec, raw: string, previous: unknown): unknown {
  switch (spec.kind) {
    case 'bool':
      return parseBool(raw);
    case 'string':
      return raw;
    case 'int':
      return parseGoInt(raw, true, 64);
    case 'uint16':
      return parseGoInt(raw, false, 16);
    case 'uint64':
      return parseGoInt(raw, false, 64);
    case 'duration':
      return parseGoDuration(raw);
    case 'bytes':
      return ramInBytes(raw);
    case 'swapbytes':
      // opts.MemSwapBytes: "-1" means unlimited swap.
      return raw === '-1' ? -1 : ramInBytes(raw);
    case 'decimal':
      return parseNanoCPUs(raw);
    case 'list': {
      const item = spec.parse ? spec.parse(raw) : raw;
      return [...((previous as unknown[]) ?? []), item];
    }
    case 'map': {
      const v = spec.parse ? (spec.parse(raw) as string) : raw;
      const eq = v.indexOf('=');
      const next = { ...((previous as Record<string, string>) ?? {}) };
      if (eq === -1) next[v] = '';
      else next[v.slice(0, eq)] = v.slice(eq + 1);
      return next;
    }
  }
}

export function flagDisplayName(spec: FlagSpec): string {
  return spec.short ? `-${spec.short}, --${spec.name}` : `--${spec.name}`;
}

export function parseFlags(specs: readonly FlagSpec[], argv: readonly string[], options: ParseOptions = {}): ParsedFlags {
  const interspersed = options.interspersed ?? true;
  const all = specs.some((s) => s.name === 'help') ? specs : [...specs, helpFlag];
  const byName = new Map<string, FlagSpec>();
  const byShort = new Map<string, FlagSpec>();
  for (const s of all) {
    byName.set(s.name, s);
    if (s.short) byShort.set(s.short, s);
  }
  const values = new Map<string, unknown>();
  const changed = new Set<string>();
  for (const s of all) if (!s.aliasOf) values.set(s.name, zeroValue(s));
  const args: string[] = [];

  const set = (spec: FlagSpec, raw: string): void => {
    const target = spec.aliasOf ? byName.get(spec.aliasOf)! : spec;
    // Lists and maps start empty on first use even when they have a displayed default.
    const prev = changed.has(target.name) ? values.get(target.name) : undefined;
    let v: unknown;
    try {
      v = convert(target, raw, prev);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      throw new FlagError(`invalid argument ${goQuote(raw)} for ${goQuote(flagDisplayName(spec))} flag: ${msg}`);
    }
    values.set(target.name, v);
    changed.add(target.name);
  };

  let i = 0;
  while (i < argv.length) {
    const a = argv[i++]!;
    if (a.length < 2 || a[0] !== '-') {
      if (!interspersed) {
        args.push(a, ...argv.slice(i));
        break;
      }
      args.push(a);
      continue;
    }
    if (a === '--') {
      args.push(...argv.slice(i));
      break;
    }
    if (a.startsWith('--')) {
      const body = a.slice(2);
      if (body.startsWith('-') || body.startsWith('=')) throw new FlagError(`bad flag syntax: ${a}`);
      const eq = body.indexOf('=');
      const name = eq === -1 ? body : body.slice(0, eq);
      const spec = byName.get(name);
      if (!spec) throw new FlagError(`unknown flag: --${name}`);
      if (eq !== -1) set(spec, body.slice(eq + 1));
      else if (spec.kind === 'bool') set(spec, 'true');
      else if (i < argv.length) set(spec, argv[i++]!);
      else throw new FlagError(`flag needs an argument: --${name}`);
      continue;
    }
    // Shorthand cluster: -it, -fvalue, -f=value, -f value.
    let rest = a.slice(1);
    while (rest.length > 0) {
      const c = rest[0]!;
      const spec = byShort.get(c);
      if (!spec) throw new FlagError(`unknown shorthand flag: '${c}' in ${a}`);
      if (rest.length > 2 && rest[1] === '=') {
        set(spec, rest.slice(2));
        rest = '';
      } else if (spec.kind === 'bool') {
        set(spec, 'true');
        rest = rest.slice(1);
      } else if (rest.length > 1) {
        set(spec, rest.slice(1));
        rest = '';
      } else if (i < argv.length) {
        set(spec, argv[i++]!);
        rest = '';
      } else {
        throw new FlagError(`flag needs an argument: '${c}' in ${a}`);
      }
    }
  }
  return new ParsedFlags(values, changed, args);
}

function typeWord(spec: FlagSpec): string {
  if (spec.typeName !== undefined) return spec.typeName;
  switch (spec.kind) {
    case 'bool':
      return '';
    case 'bytes':
    case 'swapbytes':
      return 'bytes';
    case 'uint64':
      return 'uint';
    default:
      return spec.kind;
  }
}

function defaultWord(spec: FlagSpec): string | undefined {
  if (spec.defaultText !== undefined) return spec.defaultText;
  const d = spec.default;
  if (d === undefined || d === false || d === '' || d === 0) return undefined;
  if (spec.kind === 'string') return goQuote(String(d));
  return String(d);
}

/** pflag's wrapN: the first line of s up to i characters (a bit more if that ends it), and the rest. */
function wrapN(i: number, slop: number, s: string): [string, string] {
  if (i + slop > s.length) return [s, ''];
  const head = s.slice(0, i);
  const w = Math.max(head.lastIndexOf(' '), head.lastIndexOf('\t'), head.lastIndexOf('\n'));
  if (w <= 0) return [s, ''];
  const nl = head.lastIndexOf('\n');
  if (nl > 0 && nl < w) return [s.slice(0, nl), s.slice(nl + 1)];
  return [s.slice(0, w), s.slice(w + 1)];
}

/** pflag's wrap: s wrapped to width w under an indent of i (the first line is already indented). */
function wrapUsage(i: number, w: number, s: string): string {
  let width = w - i;
  let out = '';
  if (width < 24) {
    i = 16;
    width = w - i;
    out += '\n' + ' '.repeat(i);
  }
  if (width < 24) return s.replaceAll('\n', out);
  const slop = 5;
  width -= slop;
  const indent = (t: string): string => t.replaceAll('\n', '\n' + ' '.repeat(i));
  let [line, rest] = wrapN(width, slop, s);
  out += indent(line);
  while (rest !== '') {
    [line, rest] = wrapN(width, slop, rest);
    out += '\n' + ' '.repeat(i) + indent(line);
  }
  return out;
}

/**
 * pflag's FlagUsagesWrapped as docker calls it: aligned "-s, --name type   help (default x)" lines,
 * help text wrapped to the terminal's width - 1 (79 when not on a terminal); --help is not listed.
 */
export function formatFlagUsages(specs: readonly FlagSpec[], columns = 80): string {
  // The implicit --help is not listed; run and create declare their own (-h is --hostname there).
  const visible = [...specs.filter((s) => !s.hidden && !s.aliasOf && s !== helpFlag)];
  visible.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const lefts = visible.map((s) => {
    const head = s.short ? `  -${s.short}, --${s.name}` : `      --${s.name}`;
    const t = typeWord(s);
    return t ? `${head} ${t}` : head;
  });
  const width = Math.max(0, ...lefts.map((l) => l.length));
  return visible
    .map((s, k) => {
      const d = defaultWord(s);
      const help = d === undefined ? s.help : `${s.help} (default ${d})`;
      return lefts[k]!.padEnd(width) + '   ' + wrapUsage(width + 3, columns - 1, help);
    })
    .join('\n');
}
