// The one table from typed errors to HTTP status codes, and Docker's error body.
import type { ServerResponse } from 'node:http';
import { BerthError, type ErrorKind } from '../lib/errors.js';

const STATUS: Record<ErrorKind, number> = {
  'not-found': 404,
  conflict: 409,
  'invalid-parameter': 400,
  forbidden: 403,
  unavailable: 503,
  'not-modified': 304,
  'not-implemented': 501,
  system: 500,
};

export function statusOf(err: unknown): number {
  if (err instanceof BerthError) return STATUS[err.kind];
  if (err instanceof SyntaxError) return 400;
  return 500;
}

export function writeError(res: ServerResponse, err: unknown): void {
  const status = statusOf(err);
  const message = err instanceof Error ? err.message : String(err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (status === 304) {
    res.writeHead(304);
    res.end();
    return;
  }
  const body = JSON.stringify({ message }) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
