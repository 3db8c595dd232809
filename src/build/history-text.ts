// How Docker's legacy builder writes a step into an image's history (`created_by`): metadata
// steps as `/bin/sh -c #(nop)  <comment>` with Go's %q/%v renderings of lists and structs.
import { formatGoDuration } from './parser/go-duration.js';
import type { HealthConfig } from './parser/instructions.js';

/** Go's %q of a string. */
export function goQuoteString(s: string): string {
  return JSON.stringify(s).replace(/\\u00([0-9a-f]{2})/g, '\\x$1');
}

/** Go's %q of a []string: `["a" "b"]`. */
export function goQuoteList(list: readonly string[] | null | undefined): string {
  return `[${(list ?? []).map(goQuoteString).join(' ')}]`;
}

/** Go's %v of a []string: `[a b]`. */
export function goList(list: readonly string[]): string {
  return `[${list.join(' ')}]`;
}

/** Go's %q of an int (a quoted rune). */
function goQuoteRune(n: number): string {
  if (n >= 0x20 && n < 0x7f) return n === 0x27 ? "'\\''" : n === 0x5c ? "'\\\\'" : `'${String.fromCharCode(n)}'`;
  if (n < 0x100) return `'\\x${n.toString(16).padStart(2, '0')}'`;
  return `'${String.fromCodePoint(n)}'`;
}

export function healthcheckComment(h: HealthConfig): string {
  const d = (ns: number) => goQuoteString(formatGoDuration(ns));
  return `HEALTHCHECK &{${goQuoteList(h.test)} ${d(h.interval)} ${d(h.timeout)} ${d(h.startPeriod)} ${d(h.startInterval)} ${goQuoteRune(h.retries)}}`;
}

export function nopCreatedBy(shell: readonly string[], comment: string): string {
  return [...shell, `#(nop) `, comment].join(' ');
}
