// The distribution API's error codes: one table from code to HTTP status and message, and the
// error type handlers throw so the server can answer `{"errors":[{code,message,detail}]}`.
// Statuses follow distribution v3's registry/api/errcode (BLOB_UPLOAD_INVALID is 404 there too).

export type ErrorCode =
  | 'UNKNOWN'
  | 'UNSUPPORTED'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNAVAILABLE'
  | 'TOOMANYREQUESTS'
  | 'DIGEST_INVALID'
  | 'SIZE_INVALID'
  | 'RANGE_INVALID'
  | 'NAME_INVALID'
  | 'TAG_INVALID'
  | 'NAME_UNKNOWN'
  | 'MANIFEST_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'PAGINATION_NUMBER_INVALID';

const TABLE: Record<ErrorCode, [number, string]> = {
  UNKNOWN: [500, 'unknown error'],
  UNSUPPORTED: [405, 'The operation is unsupported.'],
  UNAUTHORIZED: [401, 'authentication required'],
  DENIED: [403, 'requested access to the resource is denied'],
  UNAVAILABLE: [503, 'service unavailable'],
  TOOMANYREQUESTS: [429, 'too many requests'],
  DIGEST_INVALID: [400, 'provided digest did not match uploaded content'],
  SIZE_INVALID: [400, 'provided length did not match content length'],
  RANGE_INVALID: [416, 'invalid content range'],
  NAME_INVALID: [400, 'invalid repository name'],
  TAG_INVALID: [400, 'manifest tag did not match URI'],
  NAME_UNKNOWN: [404, 'repository name not known to registry'],
  MANIFEST_UNKNOWN: [404, 'manifest unknown'],
  MANIFEST_INVALID: [400, 'manifest invalid'],
  MANIFEST_BLOB_UNKNOWN: [400, 'blob unknown to registry'],
  BLOB_UNKNOWN: [404, 'blob unknown to registry'],
  BLOB_UPLOAD_UNKNOWN: [404, 'blob upload unknown to registry'],
  BLOB_UPLOAD_INVALID: [404, 'blob upload invalid'],
  PAGINATION_NUMBER_INVALID: [400, 'invalid number of results requested'],
};

export class RegistryError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    readonly detail?: unknown,
    status?: number,
  ) {
    super(TABLE[code][1]);
    this.status = status ?? TABLE[code][0];
  }

  body(): string {
    const entry: Record<string, unknown> = { code: this.code, message: this.message };
    if (this.detail !== undefined) entry.detail = this.detail;
    return JSON.stringify({ errors: [entry] });
  }
}
