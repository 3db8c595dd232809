// Random 64-hex identifiers as Docker uses for containers, execs and networks, and prefix lookup.
import { randomBytes } from 'node:crypto';

export function newId(): string {
  // Docker avoids all-numeric short IDs so they never read as numbers.
  for (;;) {
    const id = randomBytes(32).toString('hex');
    if (!/^\d+$/.test(id.slice(0, 12))) return id;
  }
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
