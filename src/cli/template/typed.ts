// Go-typed values for templates run over data decoded into Go structs (docker's inspect does this
// before falling back to the raw JSON): structs print as {a b c} in field order, pointers to them
// as &{…} or an address, typed nil slices and maps as [] and map[], time.Duration as "30s".

/** Field order of a struct, as Go's fmt prints it. */
export const GO_STRUCT_FIELDS: unique symbol = Symbol.for('berth.template.goStructFields');
/** The struct was reached through a pointer (fmt prints &{…} at the top, an address inside). */
export const GO_POINTER: unique symbol = Symbol.for('berth.template.goPointer');
/** An empty array or object standing for a typed nil slice or map: prints [] / map[], marshals as null. */
export const GO_NIL: unique symbol = Symbol.for('berth.template.goNil');
/** How encoding/json names the struct's fields: [json name, field, omitempty] in field order. */
export const GO_JSON_FIELDS: unique symbol = Symbol.for('berth.template.goJsonFields');

export type JsonField = readonly [json: string, field: string, omitempty: boolean];

type Marked = Record<string | symbol, unknown>;

export function structFields(v: unknown): readonly string[] | undefined {
  return v !== null && typeof v === 'object' ? ((v as Marked)[GO_STRUCT_FIELDS] as string[] | undefined) : undefined;
}

export function isGoPointer(v: unknown): boolean {
  return v !== null && typeof v === 'object' && (v as Marked)[GO_POINTER] === true;
}

export function isGoNil(v: unknown): boolean {
  return v !== null && typeof v === 'object' && (v as Marked)[GO_NIL] === true;
}

export function jsonFields(v: unknown): readonly JsonField[] | undefined {
  return v !== null && typeof v === 'object' ? ((v as Marked)[GO_JSON_FIELDS] as JsonField[] | undefined) : undefined;
}

export function markStruct<T extends object>(value: T, fields: readonly string[], opts: { pointer?: boolean; json?: readonly JsonField[] } = {}): T {
  Object.defineProperty(value, GO_STRUCT_FIELDS, { value: fields, enumerable: false });
  if (opts.pointer) Object.defineProperty(value, GO_POINTER, { value: true, enumerable: false });
  if (opts.json) Object.defineProperty(value, GO_JSON_FIELDS, { value: opts.json, enumerable: false });
  return value;
}

export function goNil<T extends object>(empty: T): T {
  Object.defineProperty(empty, GO_NIL, { value: true, enumerable: false });
  return empty;
}

/** A nil pointer in a typed struct: prints <nil> where a nil from a JSON map prints <no value>. */
export class GoNilPointer {}
export const NIL_POINTER = Object.freeze(new GoNilPointer());

/** A time.Duration: an int64 of nanoseconds whose String method fmt calls for %v and %s. */
export class GoDuration {
  constructor(readonly nanos: number) {}

  toString(): string {
    return durationString(this.nanos);
  }
}

/** time.Duration.String: "1h2m3.5s", "1.5ms", "0s". */
export function durationString(nanos: number): string {
  if (nanos === 0) return '0s';
  const sign = nanos < 0 ? '-' : '';
  const u = Math.abs(nanos);
  const frac = (v: number, digits: number): string => {
    const whole = Math.floor(v / 10 ** digits);
    const rest = String(v % 10 ** digits).padStart(digits, '0').replace(/0+$/, '');
    return rest ? `${whole}.${rest}` : String(whole);
  };
  if (u < 1e3) return `${sign}${u}ns`;
  if (u < 1e6) return `${sign}${frac(u, 3)}µs`;
  if (u < 1e9) return `${sign}${frac(u, 6)}ms`;
  const secs = frac(u % 60e9, 9);
  const mins = Math.floor(u / 60e9) % 60;
  const hours = Math.floor(u / 3600e9);
  if (hours > 0) return `${sign}${hours}h${mins}m${secs}s`;
  if (mins > 0) return `${sign}${mins}m${secs}s`;
  return `${sign}${secs}s`;
}
