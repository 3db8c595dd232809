// Go's fmt package as templates use it: Sprint, Sprintln, Sprintf with the verbs, flags,
// width and precision of Go's fmt, and Go's "%!verb(type=value)" error notation.
// Values follow the Go model of values.ts (maps print sorted, slices as [a b]).

import { kindOf, numberValue, sortedKeys, typeName } from './values.js';
import { GoDuration, isGoPointer, jsonFields, markStruct, structFields } from './typed.js';

interface Spec {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width: number | undefined;
  prec: number | undefined;
  plusV: boolean;
  sharpV: boolean;
}

function plainSpec(): Spec {
  return { plus: false, minus: false, sharp: false, space: false, zero: false, width: undefined, prec: undefined, plusV: false, sharpV: false };
}

const runeCount = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

function pad(s: string, spec: Spec, zeroOK = true): string {
  if (spec.width === undefined) return s;
  const n = spec.width - runeCount(s);
  if (n <= 0) return s;
  if (spec.minus) return s + ' '.repeat(n);
  if (spec.zero && zeroOK) {
    return '0'.repeat(n) + s;
  }
  return ' '.repeat(n) + s;
}

/** Go's unicode.IsPrint, close enough for quoting: letters, marks, numbers, punctuation, symbols, ASCII space. */
const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** strconv.Quote / QuoteToASCII / QuoteRune. */
export function goQuote(s: string, quote = '"', asciiOnly = false): string {
  let out = quote;
  for (const ch of s) {
    const r = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') {
      out += '\\' + ch;
      continue;
    }
    if (r >= 0xd800 && r <= 0xdfff) {
      out += '\\ufffd';
      continue;
    }
    if (asciiOnly ? r < 0x80 && printable.test(ch) : printable.test(ch)) {
      out += ch;
      continue;
    }
    switch (ch) {
      case '\x07': out += '\\a'; continue;
      case '\b': out += '\\b'; continue;
      case '\f': out += '\\f'; continue;
      case '\n': out += '\\n'; continue;
      case '\r': out += '\\r'; continue;
      case '\t': out += '\\t'; continue;
      case '\v': out += '\\v'; continue;
    }
    if (r < 0x20 || r === 0x7f) out += '\\x' + hex(r, 2);
    else if (r < 0x10000) out += '\\u' + hex(r, 4);
    else out += '\\U' + hex(r, 8);
  }
  return out + quote;
}

function canBackquote(s: string): boolean {
  for (const ch of s) {
    if (ch === '`' || ch === '\ufeff') return false;
    const r = ch.codePointAt(0)!;
    if (r < 0x20 && ch !== '\t') return false;
    if (r === 0x7f) return false;
  }
  return true;
}

// ---- integers

function fmtInteger(v: number, base: number, verb: string, spec: Spec, upper = false): string {
  const negative = v < 0;
  let digits = Math.abs(v).toString(base);
  if (upper) digits = digits.toUpperCase();
  let prec = spec.prec;
  let zeroWidth = false;
  if (prec !== undefined) {
    if (prec === 0 && v === 0) digits = '';
  } else if (spec.zero && spec.width !== undefined && !spec.minus) {
    prec = spec.width;
    if (negative || spec.plus || spec.space) prec--;
    zeroWidth = true;
  }
  if (prec !== undefined && digits.length < prec) digits = '0'.repeat(prec - digits.length) + digits;
  if (spec.sharp) {
    if (base === 2) digits = '0b' + digits;
    else if (base === 8 && digits[0] !== '0') digits = '0' + digits;
    else if (base === 16) digits = (upper ? '0X' : '0x') + digits;
  }
  if (verb === 'O') digits = '0o' + digits;
  if (negative) digits = '-' + digits;
  else if (spec.plus) digits = '+' + digits;
  else if (spec.space) digits = ' ' + digits;
  void zeroWidth;
  return pad(digits, spec, false);
}

function fmtInt(v: number, verb: string, spec: Spec): string | undefined {
  switch (verb) {
    case 'v':
    case 'd':
      return fmtInteger(v, 10, verb, spec);
    case 'b':
      return fmtInteger(v, 2, verb, spec);
    case 'o':
    case 'O':
      return fmtInteger(v, 8, verb, spec);
    case 'x':
      return fmtInteger(v, 16, verb, spec);
    case 'X':
      return fmtInteger(v, 16, verb, spec, true);
    case 'c':
      return pad(runeString(v), spec);
    case 'q':
      return pad(goQuote(runeString(v), "'", spec.plus), spec);
    case 'U': {
      let s = 'U+' + hex(v, 4).toUpperCase();
      if (spec.sharp && printable.test(runeString(v))) s += " '" + runeString(v) + "'";
      return pad(s, spec, false);
    }
  }
  return undefined;
}

function runeString(v: number): string {
  if (v < 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return '\ufffd';
  return String.fromCodePoint(v);
}

// ---- floats

/** The exact decimal expansion of a finite |v| > 0: digits without leading/trailing zeros, point after dp digits. */
function exactDecimal(v: number): { digits: string; dp: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(v));
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const bexp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (bexp === 0) e = -1074;
  else {
    mant |= 1n << 52n;
    e = bexp - 1075;
  }
  let digits: string;
  let dp: number;
  if (e >= 0) {
    digits = (mant << BigInt(e)).toString();
    dp = digits.length;
  } else {
    digits = (mant * 5n ** BigInt(-e)).toString();
    dp = digits.length + e;
  }
  const trimmed = digits.replace(/0+$/, '');
  return { digits: trimmed, dp };
}

/** Round to nd significant digits, ties to even, as strconv does. */
function roundDigits(d: { digits: string; dp: number }, nd: number): { digits: string; dp: number } {
  const { digits } = d;
  if (nd >= digits.length) return d;
  if (nd < 0) return { digits: '', dp: d.dp };
  const c = digits[nd]!;
  let up = c > '5' || (c === '5' && nd + 1 < digits.length);
  if (c === '5' && nd + 1 === digits.length) up = nd > 0 && Number(digits[nd - 1]) % 2 === 1;
  if (!up) return { digits: digits.slice(0, nd).replace(/0+$/, ''), dp: d.dp };
  let i = nd - 1;
  while (i >= 0 && digits[i] === '9') i--;
  if (i < 0) return { digits: '1', dp: d.dp + 1 };
  return { digits: digits.slice(0, i) + String(Number(digits[i]) + 1), dp: d.dp };
}

/** Decimal digits and decimal-point position of |v|, shortest or rounded to `sig` significant digits. */
function decimalDigits(v: number, sig?: number): { digits: string; dp: number } {
  if (v === 0) return { digits: '0'.repeat(Math.max(1, sig ?? 1)), dp: 1 };
  if (sig === undefined) {
    // JS's shortest round-trip digits are the same as Go's shortest formatting.
    const [mant, exp] = Math.abs(v).toExponential().split('e');
    const digits = mant!.replace('.', '').replace(/0+$/, '') || '0';
    return { digits, dp: Number(exp) + 1 };
  }
  const r = roundDigits(exactDecimal(v), sig);
  return { digits: r.digits.padEnd(sig, '0') || '0', dp: r.dp };
}

function expString(exp: number): string {
  const a = Math.abs(exp);
  return (exp < 0 ? '-' : '+') + (a < 10 ? '0' + a : String(a));
}

function formatE(v: number, prec: number | undefined, upper: boolean): string {
  // prec undefined means shortest representation.
  const { digits, dp } = decimalDigits(v, prec === undefined ? undefined : prec + 1);
  let s = digits[0]!;
  const rest = digits.slice(1);
  if (prec === undefined ? rest.length > 0 : prec > 0) s += '.' + rest;
  return s + (upper ? 'E' : 'e') + expString(v === 0 ? 0 : dp - 1);
}

function formatF(v: number, prec: number | undefined): string {
  const a = Math.abs(v);
  let d: { digits: string; dp: number };
  if (a === 0) d = { digits: '', dp: 0 };
  else if (prec === undefined) d = decimalDigits(a);
  else d = roundDigits(exactDecimal(a), exactDecimal(a).dp + prec);
  const p = prec ?? Math.max(0, d.digits.length - d.dp);
  const int = d.dp <= 0 ? '0' : d.digits.slice(0, d.dp).padEnd(d.dp, '0');
  let frac = '';
  for (let i = 0; i < p; i++) {
    const k = d.dp + i;
    frac += k >= 0 && k < d.digits.length ? d.digits[k] : '0';
  }
  return p > 0 ? int + '.' + frac : int;
}

function formatG(v: number, prec: number | undefined, upper: boolean): string {
  const a = Math.abs(v);
  if (a === 0) return '0';
  const shortest = prec === undefined;
  const sig = prec === 0 ? 1 : prec;
  let { digits, dp } = decimalDigits(a, sig);
  digits = digits.replace(/0+$/, '') || '0';
  let eprec = shortest ? 6 : sig!;
  if (!shortest && eprec > digits.length && digits.length >= dp) eprec = digits.length;
  const exp = dp - 1;
  if (exp < -4 || exp >= eprec) {
    let s = digits[0]!;
    if (digits.length > 1) s += '.' + digits.slice(1);
    return s + (upper ? 'E' : 'e') + expString(exp);
  }
  if (dp <= 0) return '0.' + '0'.repeat(-dp) + digits;
  if (dp >= digits.length) return digits + '0'.repeat(dp - digits.length);
  return digits.slice(0, dp) + '.' + digits.slice(dp);
}

function fmtFloat(v: number, verb: string, spec: Spec): string | undefined {
  let body: string;
  const prec = spec.prec;
  if (Number.isNaN(v) || !Number.isFinite(v)) {
    body = Number.isNaN(v) ? 'NaN' : 'Inf';
    const sign = Number.isNaN(v) ? (spec.plus ? '+' : spec.space ? ' ' : '') : v < 0 ? '-' : spec.plus ? '+' : spec.space ? ' ' : '';
    return pad(sign + body, spec, false);
  }
  switch (verb) {
    case 'v':
    case 'g':
      body = formatG(v, prec, false);
      break;
    case 'G':
      body = formatG(v, prec, true);
      break;
    case 'e':
    case 'E':
      body = formatE(v, prec ?? 6, verb === 'E');
      break;
    case 'f':
    case 'F':
      body = formatF(v, prec ?? 6);
      break;
    default:
      return undefined;
  }
  const negative = v < 0 || Object.is(v, -0);
  const sign = negative ? '-' : spec.plus ? '+' : spec.space ? ' ' : '';
  if (spec.zero && !spec.minus && spec.width !== undefined) {
    const n = spec.width - sign.length - body.length;
    if (n > 0) return sign + '0'.repeat(n) + body;
    return sign + body;
  }
  return pad(sign + body, spec, false);
}

// ---- strings

function fmtString(s: string, verb: string, spec: Spec): string | undefined {
  switch (verb) {
    case 'v':
    case 's': {
      if (spec.prec !== undefined) s = Array.from(s).slice(0, spec.prec).join('');
      return pad(s, spec);
    }
    case 'q':
      if (spec.prec !== undefined) s = Array.from(s).slice(0, spec.prec).join('');
      if (spec.sharp && canBackquote(s)) return pad('`' + s + '`', spec);
      return pad(goQuote(s, '"', spec.plus), spec);
    case 'x':
    case 'X': {
      let bytes = Buffer.from(s, 'utf8');
      if (spec.prec !== undefined) bytes = bytes.subarray(0, spec.prec);
      const parts = Array.from(bytes, (b) => {
        const h = hex(b, 2);
        return verb === 'X' ? h.toUpperCase() : h;
      });
      const prefix = verb === 'X' ? '0X' : '0x';
      let out: string;
      if (spec.space) out = parts.map((p) => (spec.sharp ? prefix + p : p)).join(' ');
      else out = (spec.sharp && parts.length ? prefix : '') + parts.join('');
      return pad(out, spec);
    }
  }
  return undefined;
}

// ---- any value

// Go prints the offending value with the flags, width and precision of the bad verb.
function badVerb(v: unknown, verb: string, spec: Spec = plainSpec()): string {
  const k = kindOf(v);
  if (k === 'invalid' || k === 'nil') return `%!${verb}(<nil>)`;
  return `%!${verb}(${typeName(v)}=${formatValue(v, 'v', spec, 0)})`;
}

function formatValue(v: unknown, verb: string, spec: Spec, depth: number): string {
  if (verb === 'T') return pad(typeName(v), spec);
  const k = kindOf(v);
  let out: string | undefined;
  switch (k) {
    case 'invalid':
    case 'nil':
      if (verb === 'v') return pad('<nil>', spec);
      return badVerb(v, verb, spec);
    case 'bool':
      if (verb === 'v' || verb === 't') return pad(v ? 'true' : 'false', spec);
      break;
    case 'int':
      // A Stringer (time.Duration) prints through its String method for %v and %s.
      if (v instanceof GoDuration && (verb === 'v' || verb === 's')) return pad(v.toString(), spec);
      out = fmtInt(numberValue(v), verb, spec);
      break;
    case 'float':
      out = fmtFloat(numberValue(v), verb, spec);
      break;
    case 'string':
      out = fmtString(v as string, verb, spec);
      break;
    case 'slice': {
      const items = (v as unknown[]).map((e) => formatValue(e, verb, spec, depth + 1));
      return '[' + items.join(' ') + ']';
    }
    case 'map': {
      const m = v as Record<string, unknown>;
      const fields = structFields(v);
      if (fields) {
        // Inside another value Go prints a pointer's address; this stands in for one.
        if (isGoPointer(v) && depth > 0) return pad(FAKE_ADDRESS, spec);
        const body = fields.map((f) => (spec.plusV ? f + ':' : '') + formatValue(m[f], verb, spec, depth + 1));
        return (isGoPointer(v) ? '&{' : '{') + body.join(' ') + '}';
      }
      const items = sortedKeys(m).map((key) => formatValue(key, verb, spec, depth + 1) + ':' + formatValue(m[key], verb, spec, depth + 1));
      return 'map[' + items.join(' ') + ']';
    }
    case 'func':
      if (verb === 'v') return pad('0x1', spec);
      break;
  }
  return out ?? badVerb(v, verb, spec);
}

/** Go's fmt.Sprint: spaces only between operands when neither side is a string. */
export function sprint(args: unknown[]): string {
  let out = '';
  let prevString = false;
  args.forEach((a, i) => {
    const isString = typeof a === 'string';
    if (i > 0 && !isString && !prevString) out += ' ';
    out += formatValue(a, 'v', plainSpec(), 0);
    prevString = isString;
  });
  return out;
}

export function sprintln(args: unknown[]): string {
  return args.map((a) => formatValue(a, 'v', plainSpec(), 0)).join(' ') + '\n';
}

/** How {{.}} prints a value: %v, with Go's "<no value>" for an invalid value; a pointer is followed first. */
export function printValue(v: unknown): string {
  if (v === undefined) return '<no value>';
  if (isGoPointer(v)) return formatValue(derefPointer(v as object), 'v', plainSpec(), 0);
  return formatValue(v, 'v', plainSpec(), 0);
}

const FAKE_ADDRESS = '0xc000010000';

/** The struct a pointer points at: the same fields, no longer marked as reached through a pointer. */
function derefPointer(v: object): object {
  return markStruct({ ...v }, structFields(v)!, { json: jsonFields(v) });
}

function intArg(v: unknown): number | undefined {
  return kindOf(v) === 'int' ? numberValue(v) : undefined;
}

export function sprintf(format: string, args: unknown[]): string {
  let out = '';
  let argNum = 0;
  let reordered = false;
  const n = format.length;
  // An explicit argument index "[n]" selects the next argument to use.
  const argIndex = (at: number): { next: number; ok: boolean } => {
    if (format[at] !== '[') return { next: at, ok: true };
    const close = format.indexOf(']', at);
    const idx = Number(format.slice(at + 1, close));
    reordered = true;
    if (close < 0 || !Number.isInteger(idx) || idx < 1 || idx > args.length) return { next: close < 0 ? n : close + 1, ok: false };
    argNum = idx - 1;
    return { next: close + 1, ok: true };
  };
  let i = 0;
  while (i < n) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const spec = plainSpec();
    flags: for (; i < n; i++) {
      switch (format[i]) {
        case '#': spec.sharp = true; break;
        case '0': spec.zero = !spec.minus; break;
        case '+': spec.plus = true; break;
        case '-': spec.minus = true; spec.zero = false; break;
        case ' ': spec.space = true; break;
        default: break flags;
      }
    }
    let goodIndex = true;
    ({ next: i, ok: goodIndex } = argIndex(i));
    // width
    if (format[i] === '*') {
      i++;
      const w = argNum < args.length ? intArg(args[argNum]) : undefined;
      argNum++;
      if (w === undefined) out += '%!(BADWIDTH)';
      else {
        spec.width = w;
        if (w < 0) {
          spec.minus = true;
          spec.zero = false;
          spec.width = -w;
        }
      }
    } else {
      const start = i;
      while (i < n && format[i]! >= '0' && format[i]! <= '9') i++;
      if (i > start) spec.width = Number(format.slice(start, i));
    }
    // precision
    if (format[i] === '.') {
      i++;
      ({ next: i, ok: goodIndex } = argIndex(i));
      if (format[i] === '*') {
        i++;
        const p = argNum < args.length ? intArg(args[argNum]) : undefined;
        argNum++;
        if (p === undefined || p < 0) out += '%!(BADPREC)';
        else spec.prec = p;
      } else {
        const start = i;
        while (i < n && format[i]! >= '0' && format[i]! <= '9') i++;
        spec.prec = Number(format.slice(start, i) || '0');
      }
    }
    if (goodIndex) ({ next: i, ok: goodIndex } = argIndex(i));
    if (i >= n) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (!goodIndex) {
      out += `%!${verb}(BADINDEX)`;
      continue;
    }
    if (argNum >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const arg = args[argNum++];
    if (verb === 'v') {
      if (spec.sharp) {
        spec.sharp = false;
        spec.sharpV = true;
      }
      if (spec.plus) {
        spec.plus = false;
        spec.plusV = true;
      }
      if (spec.sharpV) {
        out += pad(goSyntax(arg), spec);
        continue;
      }
    }
    out += formatValue(arg, verb, spec, 0);
  }
  if (!reordered && argNum < args.length) {
    out += '%!(EXTRA ' + args.slice(argNum).map((a) => (kindOf(a) === 'nil' || a === undefined ? '<nil>' : `${typeName(a)}=${formatValue(a, 'v', plainSpec(), 0)}`)).join(', ') + ')';
  }
  return out;
}

/** %#v: Go-syntax representation. */
function goSyntax(v: unknown, top = true): string {
  switch (kindOf(v)) {
    case 'invalid':
    case 'nil':
      return top ? '<nil>' : 'interface {}(nil)';
    case 'string':
      return goQuote(v as string);
    case 'float':
      return formatG(numberValue(v), undefined, false);
    case 'slice':
      return '[]interface {}{' + (v as unknown[]).map((e) => goSyntax(e, false)).join(', ') + '}';
    case 'map': {
      const m = v as Record<string, unknown>;
      return 'map[string]interface {}{' + sortedKeys(m).map((k) => goQuote(k) + ':' + goSyntax(m[k], false)).join(', ') + '}';
    }
    default:
      return formatValue(v, 'v', plainSpec(), 0);
  }
}
