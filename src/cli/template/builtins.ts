// Go's predefined template functions (text/template funcs.go) over the value model of values.ts:
// comparisons with Go's kind rules, index/slice/len on byte strings, escapers, print family.
// and/or are not here: they short-circuit, so the executor evaluates them itself.

import { sprint, sprintf, sprintln } from './fmt.js';
import type { GoFunc } from './funcs.js';
import { kindOf, numberValue, isTrue, typeName } from './values.js';

type Kind = 'bool' | 'int' | 'float' | 'string' | 'invalid';

function basicKind(v: unknown): Kind {
  const k = kindOf(v);
  if (k === 'bool' || k === 'int' || k === 'float' || k === 'string') return k;
  return 'invalid';
}

const comparable = (v: unknown): boolean => {
  const k = kindOf(v);
  return k !== 'slice' && k !== 'map' && k !== 'func';
};

function eq(arg1: unknown, ...arg2: unknown[]): boolean {
  if (kindOf(arg1) === 'func') throw new Error('invalid type for comparison');
  if (arg2.length === 0) throw new Error('missing argument for comparison');
  const k1 = basicKind(arg1);
  const zero1 = arg1 === undefined || arg1 === null;
  for (const arg of arg2) {
    const k2 = basicKind(arg);
    const zero2 = arg === undefined || arg === null;
    let truth = false;
    if (k1 !== k2) {
      if (!zero1 && !zero2) throw new Error('incompatible types for comparison');
    } else if (k1 === 'int' || k1 === 'float') {
      truth = numberValue(arg1) === numberValue(arg);
    } else if (k1 === 'invalid') {
      if (!comparable(arg)) throw new Error(`non-comparable type ${sprintf('%s', [arg])}: ${typeName(arg)}`);
      truth = zero1 && zero2;
    } else {
      truth = arg1 === arg;
    }
    if (truth) return true;
  }
  return false;
}

function lt(arg1: unknown, arg2: unknown): boolean {
  const k1 = basicKind(arg1);
  const k2 = basicKind(arg2);
  if (k1 === 'invalid' || k2 === 'invalid') throw new Error('invalid type for comparison');
  if (k1 !== k2) throw new Error('incompatible types for comparison');
  if (k1 === 'bool') throw new Error('invalid type for comparison');
  if (k1 === 'string') return (arg1 as string) < (arg2 as string);
  return numberValue(arg1) < numberValue(arg2);
}

function indexArg(index: unknown, size: number): number {
  const k = kindOf(index);
  if (k === 'invalid' || k === 'nil') throw new Error('cannot index slice/array with nil');
  if (k !== 'int') throw new Error(`cannot index slice/array with type ${typeName(index)}`);
  const x = numberValue(index);
  if (x < 0 || x > size) throw new Error(`index out of range: ${x}`);
  return x;
}

function index(item: unknown, ...indexes: unknown[]): unknown {
  if (item === undefined || item === null) throw new Error('index of untyped nil');
  for (const ix of indexes) {
    if (item === undefined || item === null) throw new Error('index of nil pointer');
    const k = kindOf(item);
    if (k === 'slice' || k === 'string') {
      const bytes = k === 'string' ? Buffer.from(item as string, 'utf8') : undefined;
      const len = bytes ? bytes.length : (item as unknown[]).length;
      const x = indexArg(ix, len);
      if (x === len) throw new Error(`index out of range: ${x}`);
      item = bytes ? bytes[x] : (item as unknown[])[x];
    } else if (k === 'map') {
      const ik = kindOf(ix);
      if (ik === 'invalid' || ik === 'nil') throw new Error('value is nil; should be of type string');
      if (ik !== 'string') throw new Error(`value has type ${typeName(ix)}; should be string`);
      const m = item as Record<string, unknown>;
      item = Object.prototype.hasOwnProperty.call(m, ix as string) ? m[ix as string] : null;
    } else {
      throw new Error(`can't index item of type ${typeName(item)}`);
    }
  }
  return item;
}

function slice(item: unknown, ...indexes: unknown[]): unknown {
  if (item === undefined || item === null) throw new Error('slice of untyped nil');
  if (indexes.length > 3) throw new Error(`too many slice indexes: ${indexes.length}`);
  const k = kindOf(item);
  let len: number;
  if (k === 'string') {
    if (indexes.length === 3) throw new Error('cannot 3-index slice a string');
    len = Buffer.byteLength(item as string, 'utf8');
  } else if (k === 'slice') {
    len = (item as unknown[]).length;
  } else {
    throw new Error(`can't slice item of type ${typeName(item)}`);
  }
  const idx = [0, len, len];
  indexes.forEach((ix, i) => (idx[i] = indexArg(ix, len)));
  if (idx[0]! > idx[1]!) throw new Error(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (indexes.length === 3 && idx[1]! > idx[2]!) throw new Error(`invalid slice index: ${idx[1]} > ${idx[2]}`);
  if (k === 'string') return Buffer.from(item as string, 'utf8').subarray(idx[0], idx[1]).toString('utf8');
  return (item as unknown[]).slice(idx[0], idx[1]);
}

function length(item: unknown): number {
  switch (kindOf(item)) {
    case 'string':
      return Buffer.byteLength(item as string, 'utf8');
    case 'slice':
      return (item as unknown[]).length;
    case 'map':
      return Object.keys(item as object).length;
    case 'invalid':
    case 'nil':
      throw new Error('len of nil pointer');
    default:
      throw new Error(`len of type ${typeName(item)}`);
  }
}

/** Go's evalArgs: a single string is used as is, anything else goes through fmt.Sprint. */
function evalArgs(args: unknown[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args);
}

export function htmlEscape(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) =>
    c === '\0' ? '\ufffd' : c === '"' ? '&#34;' : c === "'" ? '&#39;' : c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;',
  );
}

const jsPrintable = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

export function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    switch (ch) {
      case '\\': out += '\\\\'; continue;
      case "'": out += "\\'"; continue;
      case '"': out += '\\"'; continue;
      case '<': out += '\\u003C'; continue;
      case '>': out += '\\u003E'; continue;
      case '&': out += '\\u0026'; continue;
      case '=': out += '\\u003D'; continue;
    }
    const r = ch.codePointAt(0)!;
    if (r < 0x20) out += '\\u00' + r.toString(16).toUpperCase().padStart(2, '0');
    else if (r < 0x80 || jsPrintable.test(ch)) out += ch;
    else out += '\\u' + r.toString(16).toUpperCase().padStart(4, '0');
  }
  return out;
}

export function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

export const builtins: Record<string, GoFunc> = {
  // and, or and call are evaluated by the executor; these entries give their signatures.
  and: { params: ['reflect'], variadic: 'reflect', fn: () => undefined },
  or: { params: ['reflect'], variadic: 'reflect', fn: () => undefined },
  call: { params: ['reflect'], variadic: 'reflect', fn: () => undefined },
  not: { params: ['reflect'], fn: (v: unknown) => !isTrue(v) },
  len: { params: ['reflect'], fn: length },
  index: { params: ['reflect'], variadic: 'reflect', fn: index },
  slice: { params: ['reflect'], variadic: 'reflect', fn: slice },
  print: { params: [], variadic: 'any', fn: (...a: unknown[]) => sprint(a) },
  printf: { params: ['string'], variadic: 'any', fn: (f: string, ...a: unknown[]) => sprintf(f, a) },
  println: { params: [], variadic: 'any', fn: (...a: unknown[]) => sprintln(a) },
  html: { params: [], variadic: 'any', fn: (...a: unknown[]) => htmlEscape(evalArgs(a)) },
  js: { params: [], variadic: 'any', fn: (...a: unknown[]) => jsEscape(evalArgs(a)) },
  urlquery: { params: [], variadic: 'any', fn: (...a: unknown[]) => queryEscape(evalArgs(a)) },
  eq: { params: ['reflect'], variadic: 'reflect', fn: eq },
  ne: { params: ['reflect', 'reflect'], fn: (a: unknown, b: unknown) => !eq(a, b) },
  lt: { params: ['reflect', 'reflect'], fn: lt },
  le: { params: ['reflect', 'reflect'], fn: (a: unknown, b: unknown) => lt(a, b) || eq(a, b) },
  gt: { params: ['reflect', 'reflect'], fn: (a: unknown, b: unknown) => !lt(a, b) && !eq(a, b) },
  ge: { params: ['reflect', 'reflect'], fn: (a: unknown, b: unknown) => !lt(a, b) },
};
