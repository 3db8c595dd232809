// How template functions are declared: a JS function plus the Go parameter types the executor
// checks arguments against (Go reflects on signatures; JS cannot, so typed functions say so here).

/** 'reflect' receives any value unchecked (Go's reflect.Value parameters, which reject a nil literal). */
export type ParamType = 'any' | 'reflect' | 'string' | 'int' | 'float' | 'bool' | '[]string';

export interface GoFunc {
  params: ParamType[];
  /** Element type of a trailing variadic parameter. */
  variadic?: ParamType;
  fn: (...args: any[]) => unknown;
}

/** A plain JS function is treated as func(...interface{}) interface{}. */
export function toGoFunc(f: Function | GoFunc): GoFunc {
  if (typeof f === 'function') return { params: [], variadic: 'any', fn: f as (...args: unknown[]) => unknown };
  return f;
}

export function goTypeName(t: ParamType): string {
  switch (t) {
    case 'any':
      return 'interface {}';
    case 'reflect':
      return 'reflect.Value';
    case 'float':
      return 'float64';
    default:
      return t;
  }
}
