// Registry credentials as the Engine API carries them: the X-Registry-Auth header (base64url JSON
// of Docker's AuthConfig) on pull and push, and the JSON body of POST /auth.
import { InvalidParameter } from '../../lib/errors.js';

export interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** Decodes X-Registry-Auth (base64url, or standard base64 from older clients); empty means anonymous. */
export function decodeRegistryAuth(header: string | string[] | undefined): AuthConfig {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return {};
  let json: string;
  try {
    json = Buffer.from(value.replace(/\+/g, '-').replace(/\//g, '_'), 'base64url').toString('utf8');
  } catch {
    throw new InvalidParameter('invalid X-Registry-Auth header: not base64');
  }
  if (!json.trim()) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new InvalidParameter('invalid X-Registry-Auth header: not JSON');
  }
  return normalize(parsed);
}

export function normalize(v: unknown): AuthConfig {
  if (!v || typeof v !== 'object') return {};
  const o = v as Record<string, unknown>;
  const s = (k: string) => (typeof o[k] === 'string' && o[k] ? (o[k] as string) : undefined);
  const out: AuthConfig = {
    username: s('username') ?? s('Username'),
    password: s('password') ?? s('Password'),
    auth: s('auth') ?? s('Auth'),
    serveraddress: s('serveraddress') ?? s('ServerAddress'),
    identitytoken: s('identitytoken') ?? s('IdentityToken'),
    registrytoken: s('registrytoken') ?? s('RegistryToken'),
  };
  // `auth` is base64("user:password"), as in ~/.docker/config.json.
  if (out.auth && !out.username) {
    const plain = Buffer.from(out.auth, 'base64').toString('utf8');
    const colon = plain.indexOf(':');
    if (colon > 0) {
      out.username = plain.slice(0, colon);
      out.password = plain.slice(colon + 1);
    }
  }
  return out;
}

export function hasCredentials(a: AuthConfig): boolean {
  return !!(a.username || a.identitytoken || a.registrytoken);
}
