// Docker token authentication for the registry, as distribution's token access controller: each
// request carries a JWT that the configured issuer made for this service, signed (RS256/ES256…)
// by a key whose certificate is in the root bundle, and granting the actions the request needs.
// Anything less gets 401 UNAUTHORIZED with a Bearer challenge naming the scope to ask for.
import { promises as fs } from 'node:fs';
import { X509Certificate, createHash, verify as verifySignature, type KeyObject } from 'node:crypto';
import type { TokenAuthConfig } from './config.js';

/** One resource and the actions a request needs on it (`repository`, `app`, [`pull`,`push`]). */
export interface Access {
  type: string;
  name: string;
  actions: string[];
}

export interface TokenClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  iat?: number;
  jti?: string;
  access?: { type?: string; name?: string; actions?: string[] }[];
}

/** Why a request is refused: no token, a token not to be trusted, or one granting too little. */
export type TokenRefusal = { error?: 'invalid_token' | 'insufficient_scope'; reason: string };

const ALGORITHMS: Record<string, { hash: string; ec: boolean }> = {
  RS256: { hash: 'sha256', ec: false },
  RS384: { hash: 'sha384', ec: false },
  RS512: { hash: 'sha512', ec: false },
  ES256: { hash: 'sha256', ec: true },
  ES384: { hash: 'sha384', ec: true },
  ES512: { hash: 'sha512', ec: true },
};

/** Clock skew tolerated on exp and nbf, as distribution v3 allows. */
const LEEWAY_S = 60;

/** The actions each request needs, following distribution's route-to-access rules. */
export function accessFor(method: string, pathname: string, search: URLSearchParams): Access[] {
  if (pathname === '/v2/_catalog') return [{ type: 'registry', name: 'catalog', actions: ['*'] }];
  const m = /^\/v2\/(.+)\/(?:manifests\/[^/]+|blobs\/uploads\/?[^/]*|blobs\/[^/]+|tags\/list|referrers\/[^/]+)$/.exec(pathname);
  if (!m) return [];
  const name = m[1]!;
  const actions = method === 'GET' || method === 'HEAD' ? ['pull'] : method === 'DELETE' ? ['delete'] : ['pull', 'push'];
  const out: Access[] = [{ type: 'repository', name, actions }];
  const from = search.get('from');
  if (method === 'POST' && search.get('mount') && from && from !== name) out.push({ type: 'repository', name: from, actions: ['pull'] });
  return out;
}

/** libtrust's key ID (what distribution matches a JWT `kid` against): base32 of 240 bits of the SPKI's sha256, in groups of four. */
export function libtrustKeyId(key: KeyObject): string {
  const digest = createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest().subarray(0, 30);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out.match(/.{4}/g)!.join(':');
}

export function parsePemBundle(text: string): X509Certificate[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b));
}

function decodeSegment<T>(s: string): T {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new Error('not base64url');
  return JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as T;
}

export class TokenAuth {
  private roots: X509Certificate[] = [];
  private loaded = false;

  constructor(
    readonly config: TokenAuthConfig,
    private readonly now: () => number = Date.now,
  ) {}

  /** Reads the root bundle; a bundle with no certificate is a configuration error, as in distribution. */
  async load(): Promise<void> {
    const text = await fs.readFile(this.config.rootCertBundle, 'utf8');
    this.roots = parsePemBundle(text);
    if (this.roots.length === 0) throw new Error(`token auth: no certificates in rootcertbundle ${this.config.rootCertBundle}`);
    this.loaded = true;
  }

  /** The challenge a refused request is answered with. */
  challenge(needed: Access[], error?: TokenRefusal['error']): string {
    let h = `Bearer realm="${this.config.realm}",service="${this.config.service}"`;
    const scope = needed.map((a) => `${a.type}:${a.name}:${a.actions.join(',')}`).join(' ');
    if (scope) h += `,scope="${scope}"`;
    if (error) h += `,error="${error}"`;
    return h;
  }

  /** undefined when the Authorization header grants `needed`; otherwise why not. */
  authorize(authorization: string | undefined, needed: Access[]): TokenRefusal | undefined {
    if (!this.loaded) throw new Error('token auth used before load()');
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m) return { reason: 'authentication required' };
    let claims: TokenClaims;
    try {
      claims = this.verify(m[1]!);
    } catch (err) {
      return { error: 'invalid_token', reason: (err as Error).message };
    }
    for (const need of needed) {
      const granted = new Set<string>();
      for (const a of claims.access ?? []) if (a.type === need.type && a.name === need.name) for (const x of a.actions ?? []) granted.add(x);
      if (!granted.has('*') && !need.actions.every((x) => granted.has(x))) {
        return { error: 'insufficient_scope', reason: `token does not grant ${need.type}:${need.name}:${need.actions.join(',')}` };
      }
    }
    return undefined;
  }

  /** Checks signature, issuer, audience and lifetime; returns the claims. */
  verify(token: string): TokenClaims {
    const parts = token.split('.');
    if (parts.length !== 3) throw new Error('malformed token');
    const header = decodeSegment<{ alg?: string; kid?: string; x5c?: string[] }>(parts[0]!);
    const claims = decodeSegment<TokenClaims>(parts[1]!);
    const alg = ALGORITHMS[header.alg ?? ''];
    if (!alg) throw new Error(`unsupported signing algorithm ${JSON.stringify(header.alg)}`);
    const key = this.signingKey(header);
    const ok = verifySignature(alg.hash, Buffer.from(`${parts[0]}.${parts[1]}`), alg.ec ? { key, dsaEncoding: 'ieee-p1363' } : key, Buffer.from(parts[2]!, 'base64url'));
    if (!ok) throw new Error('token signature does not verify');
    if (claims.iss !== this.config.issuer) throw new Error(`token issuer ${JSON.stringify(claims.iss)} is not ${JSON.stringify(this.config.issuer)}`);
    const aud = Array.isArray(claims.aud) ? claims.aud : claims.aud === undefined ? [] : [claims.aud];
    if (!aud.includes(this.config.service)) throw new Error(`token audience ${JSON.stringify(claims.aud)} does not include ${JSON.stringify(this.config.service)}`);
    const now = this.now() / 1000;
    if (typeof claims.exp !== 'number') throw new Error('token has no expiry');
    if (now > claims.exp + LEEWAY_S) throw new Error('token has expired');
    if (typeof claims.nbf === 'number' && now < claims.nbf - LEEWAY_S) throw new Error('token is not valid yet');
    return claims;
  }

  /** The key a token names: a certificate chain (x5c) leading to a root, or a root's key ID (kid). */
  private signingKey(header: { kid?: string; x5c?: string[] }): KeyObject {
    if (header.x5c?.length) {
      const chain = header.x5c.map((c) => new X509Certificate(Buffer.from(c, 'base64')));
      const now = this.now();
      for (const c of chain) {
        if (now < Date.parse(c.validFrom) || now > Date.parse(c.validTo)) throw new Error(`certificate ${c.subject.replace(/\n/g, ', ')} in the token's chain is not valid now`);
      }
      for (let i = 0; i < chain.length; i++) {
        const cert = chain[i]!;
        if (this.roots.some((r) => r.raw.equals(cert.raw) || (cert.checkIssued(r) && cert.verify(r.publicKey)))) return chain[0]!.publicKey;
        const next = chain[i + 1];
        if (!next || !cert.checkIssued(next) || !cert.verify(next.publicKey)) break;
      }
      throw new Error('token signed by a certificate that no root in the bundle vouches for');
    }
    if (header.kid) {
      const root = this.roots.find((r) => libtrustKeyId(r.publicKey) === header.kid);
      if (!root) throw new Error(`token signed by unknown key ${header.kid}`);
      return root.publicKey;
    }
    throw new Error('token names no signing key (kid or x5c)');
  }
}
