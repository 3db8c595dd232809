// The Go value model that templates see: JSON-shaped JS values read as Go's interface{} values.
// undefined is Go's invalid reflect.Value ("<no value>"), null a nil interface, integral numbers
// are int, GoFloat marks a float64 that happens to be integral (1.0 literals), objects are maps.

import { GoDuration, GoNilPointer } from './typed.js';

export class GoFloat {
  constructor(readonly value: number) {}
}

export type GoKind = 'invalid' | 'nil' | 'bool' | 'int' | 'float' | 'string' | 'slice' | 'map' | 'func';

export function kindOf(v: unknown): GoKind {
  if (v === undefined) return 'invalid';
  if (v === null || v instanceof GoNilPointer) return 'nil';
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(v) ? 'int' : 'float';
    case 'bigint':
      return 'int';
    case 'string':
      return 'string';
    case 'function':
      return 'func';
  }
  if (v instanceof GoFloat) return 'float';
  if (v instanceof GoDuration) return 'int';
  if (Array.isArray(v)) return 'slice';
  return 'map';
}

/** Go's name for the dynamic type, as %T and error messages print it. */
export function typeName(v: unknown): string {
  switch (kindOf(v)) {
    case 'invalid':
    case 'nil':
      return '<nil>';
    case 'bool':
      return 'bool';
    case 'int':
      return v instanceof GoDuration ? 'time.Duration' : 'int';
    case 'float':
      return 'float64';
    case 'string':
      return 'string';
    case 'slice':
      return '[]interface {}';
    case 'map':
      return 'map[string]interface {}';
    case 'func':
      return 'func(...interface {}) interface {}';
  }
}

export function numberValue(v: unknown): number {
  if (v instanceof GoFloat) return v.value;
  if (v instanceof GoDuration) return v.nanos;
  if (typeof v === 'bigint') return Number(v);
  return v as number;
}

/** Go's truth: the zero value of every type is false; maps and slices need elements. */
export function isTrue(v: unknown): boolean {
  switch (kindOf(v)) {
    case 'invalid':
    case 'nil':
      return false;
    case 'bool':
      return v as boolean;
    case 'int':
    case 'float':
      return numberValue(v) !== 0;
    case 'string':
      return (v as string).length > 0;
    case 'slice':
      return (v as unknown[]).length > 0;
    case 'map':
      return Object.keys(v as object).length > 0;
    case 'func':
      return true;
  }
}

/** Keys of a map in Go's fmt/range order (sorted). */
export function sortedKeys(m: object): string[] {
  return Object.keys(m).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}
