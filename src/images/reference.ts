// Image references as Docker parses them: [domain/]path[:tag][@digest], normalized to the full
// name (docker.io/library/busybox) for storage and shown in familiar form (busybox) to users.
import { InvalidParameter } from '../lib/errors.js';

export interface Reference {
  /** Full repository name, e.g. docker.io/library/busybox or localhost:5000/app. */
  name: string;
  tag?: string;
  digest?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?$|^\[[0-9a-fA-F:]+\](?::[0-9]+)?$/;

export const DEFAULT_DOMAIN = 'docker.io';

export function parseReference(input: string): Reference {
  if (!input || input.length > 255 + 140) throw new InvalidParameter('invalid reference format');
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new InvalidParameter('invalid reference format');
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new InvalidParameter('invalid reference format');
  }
  const parts = rest.split('/');
  let domain = DEFAULT_DOMAIN;
  if (parts.length > 1 && (parts[0]!.includes('.') || parts[0]!.includes(':') || parts[0] === 'localhost' || /[A-Z]/.test(parts[0]!))) {
    domain = parts.shift()!;
    if (!DOMAIN.test(domain)) throw new InvalidParameter('invalid reference format');
  }
  if (parts.length === 0 || parts.some((p) => !COMPONENT.test(p))) {
    if (parts.some((p) => COMPONENT.test(p.toLowerCase()))) {
      throw new InvalidParameter(`invalid reference format: repository name (${parts.join('/')}) must be lowercase`);
    }
    throw new InvalidParameter('invalid reference format');
  }
  if (domain === 'index.docker.io') domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && parts.length === 1) parts.unshift('library');
  return { name: `${domain}/${parts.join('/')}`, tag, digest };
}

/** Adds `latest` when neither tag nor digest is given, as `docker run busybox` does. */
export function withDefaultTag(ref: Reference): Reference {
  return ref.tag || ref.digest ? ref : { ...ref, tag: 'latest' };
}

export function familiarName(name: string): string {
  if (name.startsWith(`${DEFAULT_DOMAIN}/library/`) && name.split('/').length === 3) return name.slice(DEFAULT_DOMAIN.length + 9);
  if (name.startsWith(`${DEFAULT_DOMAIN}/`)) return name.slice(DEFAULT_DOMAIN.length + 1);
  return name;
}

export function familiarString(ref: Reference): string {
  let s = familiarName(ref.name);
  if (ref.tag) s += ':' + ref.tag;
  if (ref.digest) s += '@' + ref.digest;
  return s;
}

export function domainOf(name: string): string {
  return name.split('/')[0]!;
}

/** True for a full or short hex image ID (not a name). */
export function looksLikeId(s: string): boolean {
  return /^(sha256:)?[0-9a-f]{1,64}$/.test(s);
}
