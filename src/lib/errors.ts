// Typed errors shared by every service. Each kind maps to one HTTP status in src/api/errors.ts;
// messages say what was wrong and with what input, as Docker's do.

export abstract class BerthError extends Error {
  abstract readonly kind: ErrorKind;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export type ErrorKind =
  | 'not-found'
  | 'conflict'
  | 'invalid-parameter'
  | 'forbidden'
  | 'unavailable'
  | 'not-modified'
  | 'not-implemented'
  | 'system';

export class NotFound extends BerthError {
  readonly kind = 'not-found' as const;
}
export class Conflict extends BerthError {
  readonly kind = 'conflict' as const;
}
export class InvalidParameter extends BerthError {
  readonly kind = 'invalid-parameter' as const;
}
export class Forbidden extends BerthError {
  readonly kind = 'forbidden' as const;
}
export class Unavailable extends BerthError {
  readonly kind = 'unavailable' as const;
}
/** Docker answers 304 when starting a started container or stopping a stopped one. */
export class NotModified extends BerthError {
  readonly kind = 'not-modified' as const;
}
export class NotImplemented extends BerthError {
  readonly kind = 'not-implemented' as const;
}
export class SystemError extends BerthError {
  readonly kind = 'system' as const;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
