// Go's encoding/json output for JSON-shaped values, as Docker's `json` template function emits it
// (Encoder with SetEscapeHTML(false), trailing newline trimmed). Object keys keep their given order,
// which is the struct field order of the API object the data came from.

import { GoFloat, kindOf, numberValue } from './values.js';
import { isGoNil, jsonFields, structFields } from './typed.js';

/**
 * Marks an object whose `json` output is what Go's json.Marshal gives for a map: keys sorted and
 * <, >, & escaped. docker's formatter contexts marshal their fields this way for {{json .}}.
 */
export const GO_JSON_MARSHALED_MAP: unique symbol = Symbol.for('berth.template.goJsonMarshaledMap');

function quote(s: string, escapeHTML = false): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20) out += '\\u00' + c.toString(16).padStart(2, '0');
    else if (c === 0x2028 || c === 0x2029) out += '\\u' + c.toString(16);
    else if (escapeHTML && (ch === '<' || ch === '>' || ch === '&')) out += '\\u00' + c.toString(16);
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += ch + s[i + 1];
        i++;
      } else out += '\ufffd';
    } else if (c >= 0xdc00 && c <= 0xdfff) out += '\ufffd';
    else out += ch;
  }
  return out + '"';
}

function number(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`json: unsupported value: ${n}`);
  if (Object.is(n, -0)) return '-0';
  const a = Math.abs(n);
  if (a !== 0 && (a < 1e-6 || a >= 1e21)) {
    // Go uses 'e' format and trims the exponent's leading zero: 1e-07 -> 1e-7.
    return n.toExponential().replace('e+', 'e+').replace(/e([+-])0*(\d)/, 'e$1$2');
  }
  return String(n);
}

/** encoding/json's isEmptyValue, which omitempty tests: zero scalars, empty or nil slices and maps, nil pointers. */
function isEmptyValue(v: unknown): boolean {
  switch (kindOf(v)) {
    case 'invalid':
    case 'nil':
      return true;
    case 'bool':
      return v === false;
    case 'int':
    case 'float':
      return numberValue(v) === 0;
    case 'string':
      return v === '';
    case 'slice':
      return (v as unknown[]).length === 0;
    case 'map':
      // A struct is never empty; a pointer to one is not nil here.
      return !structFields(v) && Object.keys(v as object).length === 0;
    default:
      return false;
  }
}

export function goJSON(v: unknown, escapeHTML = false): string {
  const json = (x: unknown): string => goJSON(x, escapeHTML);
  switch (kindOf(v)) {
    case 'invalid':
    case 'nil':
      return 'null';
    case 'bool':
      return v ? 'true' : 'false';
    case 'int':
    case 'float':
      return number(v instanceof GoFloat ? v.value : numberValue(v));
    case 'string':
      return quote(v as string, escapeHTML);
    case 'slice':
      if (isGoNil(v)) return 'null';
      return '[' + (v as unknown[]).map(json).join(',') + ']';
    case 'map': {
      const m = v as Record<string | symbol, unknown>;
      if (isGoNil(v)) return 'null';
      const named = jsonFields(v);
      if (named) {
        const kept = named.filter(([, field, omitempty]) => m[field] !== undefined && !(omitempty && isEmptyValue(m[field])));
        return '{' + kept.map(([name, field]) => quote(name, escapeHTML) + ':' + json(m[field])).join(',') + '}';
      }
      if (m[GO_JSON_MARSHALED_MAP]) {
        const keys = Object.keys(m).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        return '{' + keys.filter((k) => m[k] !== undefined).map((k) => quote(k, true) + ':' + goJSON(m[k], true)).join(',') + '}';
      }
      return '{' + Object.keys(m).filter((k) => m[k] !== undefined).map((k) => quote(k, escapeHTML) + ':' + json(m[k])).join(',') + '}';
    }
    case 'func':
      throw new Error('json: unsupported type: func()');
  }
}
