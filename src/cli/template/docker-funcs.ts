// The functions docker/cli adds to every --format template (templates/templates.go), and the
// header variants used to render a table's header row, which pass column titles through unchanged.

import type { GoFunc } from './funcs.js';
import { goJSON } from './gojson.js';

/** strings.Title: upper-case the first letter of each word (ASCII separators, as Go defines them). */
export function goTitle(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    out += isSeparator(prev) ? upperRune(ch) : ch;
    prev = ch;
  }
  return out;
}

// Go maps case rune by rune: no "ß" -> "SS" expansion and no context-dependent final sigma.
function upperRune(ch: string): string {
  const u = ch.toUpperCase();
  return Array.from(u).length === 1 ? u : ch;
}
function lowerRune(ch: string): string {
  const l = ch.toLowerCase();
  return Array.from(l).length === 1 ? l : ch;
}
const goUpper = (s: string): string => Array.from(s, upperRune).join('');
const goLower = (s: string): string => Array.from(s, lowerRune).join('');

function isSeparator(ch: string): boolean {
  const r = ch.codePointAt(0)!;
  if (r <= 0x7f) {
    if (/[0-9a-zA-Z_]/.test(ch)) return false;
    return true;
  }
  if (/^[\p{L}\p{Nd}]$/u.test(ch)) return false;
  return /^\s$/u.test(ch);
}

function split(s: string, sep: string): string[] {
  if (sep === '') return Array.from(s);
  return s.split(sep);
}

function truncate(s: string, n: number): string {
  const b = Buffer.from(s, 'utf8');
  if (b.length < n) return s;
  return b.subarray(0, n).toString('utf8');
}

function pad(s: string, prefix: number, suffix: number): string {
  if (s === '') return s;
  if (prefix < 0 || suffix < 0) throw new Error('strings: negative Repeat count');
  return ' '.repeat(prefix) + s + ' '.repeat(suffix);
}

export const dockerFuncs: Record<string, GoFunc> = {
  json: { params: ['any'], fn: goJSON },
  split: { params: ['string', 'string'], fn: split },
  join: { params: ['[]string', 'string'], fn: (a: string[] | null, sep: string) => (a ?? []).join(sep) },
  title: { params: ['string'], fn: goTitle },
  lower: { params: ['string'], fn: goLower },
  upper: { params: ['string'], fn: goUpper },
  pad: { params: ['string', 'int', 'int'], fn: pad },
  truncate: { params: ['string', 'int'], fn: truncate },
};

/** Docker's HeaderFunctions: same names, but the header text comes out as it went in. */
export const dockerHeaderFuncs: Record<string, GoFunc> = {
  ...dockerFuncs,
  json: { params: ['string'], fn: (s: string) => s },
  split: { params: ['string', 'string'], fn: (s: string) => s },
  join: { params: ['string', 'string'], fn: (s: string) => s },
  title: { params: ['string'], fn: (s: string) => s },
  lower: { params: ['string'], fn: (s: string) => s },
  upper: { params: ['string'], fn: (s: string) => s },
  truncate: { params: ['string', 'int'], fn: (s: string) => s },
};
