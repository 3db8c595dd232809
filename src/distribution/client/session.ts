// A conversation with one registry endpoint on behalf of one user: settles http or https with a
// `/v2/` ping, answers its challenges (Basic with the user's password, or Bearer tokens fetched
// from the realm for the scopes in use, cached until they expire) and retries a request once
// after a 401.
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { Forbidden, Unavailable } from '../../lib/errors.js';
import { parseChallenges, type Challenge } from './challenge.js';
import { hasCredentials, type AuthConfig } from './credentials.js';
import type { Endpoint } from './endpoints.js';
import { send, readAll, errorText, TransportError } from './http.js';

export interface RequestOptions {
  method?: string;
  headers?: OutgoingHttpHeaders;
  /** A stream body cannot be replayed after a 401: the session authenticates before sending it. */
  body?: Buffer | Readable;
  idleTimeout?: number;
}

export class Unauthorized extends Forbidden {}

export class RegistrySession {
  private base?: URL;
  private challenge?: Challenge;
  private pinged = false;
  private tokens = new Map<string, { token: string; expires: number }>();

  constructor(
    readonly endpoint: Endpoint,
    private readonly auth: AuthConfig,
    /** Scopes a token is asked for, e.g. repository:app:pull,push. */
    private readonly scopes: string[],
  ) {}

  get baseUrl(): string {
    return (this.base ?? new URL(this.endpoint.url)).href.replace(/\/+$/, '');
  }

  /** GET /v2/: picks the scheme and remembers the challenge. */
  async ping(): Promise<void> {
    if (this.pinged) return;
    const candidates = this.endpoint.insecure && this.endpoint.url.startsWith('https:') ? [this.endpoint.url, this.endpoint.url.replace(/^https:/, 'http:')] : [this.endpoint.url];
    let lastErr: unknown;
    for (const c of candidates) {
      const url = new URL(c + '/v2/');
      try {
        const res = await send(url, { insecureTls: this.endpoint.insecure, idleTimeout: 15_000 });
        res.resume();
        this.base = new URL(c);
        if (res.statusCode === 401) this.challenge = pickChallenge(res.headers['www-authenticate']);
        this.pinged = true;
        return;
      } catch (err) {
        lastErr = err;
      }
    }
    throw new Unavailable(`Get "${candidates[0]}/v2/": ${(lastErr as Error).message.replace(/^GET "[^"]*": /, '')}`);
  }

  /** The Authorization header for the current challenge, fetching a token when needed. */
  private async authorization(): Promise<string | undefined> {
    const c = this.challenge;
    if (!c) return undefined;
    if (c.scheme === 'basic') {
      if (!this.auth.username) return undefined;
      return 'Basic ' + Buffer.from(`${this.auth.username}:${this.auth.password ?? ''}`).toString('base64');
    }
    if (c.scheme === 'bearer') {
      if (this.auth.registrytoken) return `Bearer ${this.auth.registrytoken}`;
      return `Bearer ${await this.token(c)}`;
    }
    return undefined;
  }

  private async token(c: Challenge): Promise<string> {
    const key = this.scopes.join(' ');
    const cached = this.tokens.get(key);
    if (cached && cached.expires > Date.now()) return cached.token;
    const realm = c.params.realm;
    if (!realm) throw new Unauthorized(`registry ${this.endpoint.domain} sent a Bearer challenge without a realm`);
    const url = new URL(realm);
    const headers: OutgoingHttpHeaders = {};
    let res: IncomingMessage;
    if (this.auth.identitytoken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: this.auth.identitytoken, client_id: 'berth', service: c.params.service ?? '', scope: this.scopes.join(' ') });
      res = await send(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from(form.toString()), insecureTls: this.endpoint.insecure });
    } else {
      if (c.params.service) url.searchParams.set('service', c.params.service);
      for (const s of this.scopes) url.searchParams.append('scope', s);
      if (hasCredentials(this.auth)) {
        url.searchParams.set('account', this.auth.username ?? '');
        headers.authorization = 'Basic ' + Buffer.from(`${this.auth.username}:${this.auth.password ?? ''}`).toString('base64');
      }
      res = await send(url, { headers, insecureTls: this.endpoint.insecure });
    }
    if (res.statusCode !== 200) {
      const e = await errorText(res);
      throw new Unauthorized(`Get "${realm}": unauthorized: ${e.text}`);
    }
    const body = JSON.parse((await readAll(res, 1 << 20)).toString()) as { token?: string; access_token?: string; expires_in?: number };
    const token = body.token ?? body.access_token;
    if (!token) throw new Unauthorized(`token server ${realm} answered without a token`);
    // Tokens live at least 60 s by the spec; renew a little early.
    this.tokens.set(key, { token, expires: Date.now() + Math.max(60, body.expires_in ?? 60) * 1000 - 10_000 });
    return token;
  }

  /**
   * The URL and headers for GETs of `path` sent by someone else (the layer-apply worker). After
   * that someone got a 401, `renew` asks for the challenge's credentials afresh.
   */
  async prepare(path: string, renew = false): Promise<{ url: string; headers: Record<string, string>; insecureTls: boolean }> {
    await this.ping();
    if (renew) this.tokens.clear();
    const authz = await this.authorization();
    return { url: this.baseUrl + path, headers: authz ? { authorization: authz } : {}, insecureTls: this.endpoint.insecure };
  }

  /** Sends a request to `path` (under /v2/), authenticating as the registry demands. */
  async request(path: string, o: RequestOptions = {}): Promise<IncomingMessage> {
    await this.ping();
    const url = path.startsWith('http:') || path.startsWith('https:') ? new URL(path) : new URL(this.baseUrl + path);
    for (let attempt = 0; ; attempt++) {
      const authz = await this.authorization();
      const headers = { ...o.headers, ...(authz ? { authorization: authz } : {}) };
      const res = await send(url, { method: o.method, headers, body: o.body, insecureTls: this.endpoint.insecure, idleTimeout: o.idleTimeout });
      if (res.statusCode === 401 && attempt === 0 && (!o.body || Buffer.isBuffer(o.body))) {
        const c = pickChallenge(res.headers['www-authenticate']);
        res.resume();
        if (c) {
          this.challenge = c;
          this.tokens.clear();
          continue;
        }
      }
      return res;
    }
  }

  /** Checks the user's credentials (docker login): a 401 after answering the challenge is a failure. */
  async login(): Promise<void> {
    await this.ping();
    if (!this.challenge) return;
    const res = await this.request('/v2/');
    res.resume();
    if (res.statusCode === 401 || res.statusCode === 403) {
      throw new Unauthorized(`login attempt to ${this.baseUrl}/v2/ failed with status: ${res.statusCode} ${res.statusCode === 401 ? 'Unauthorized' : 'Forbidden'}`);
    }
  }
}

/** Bearer wins over Basic when a registry offers both, as Docker's client prefers it. */
function pickChallenge(header: string | string[] | undefined): Challenge | undefined {
  const all = parseChallenges(header);
  return all.find((c) => c.scheme === 'bearer') ?? all.find((c) => c.scheme === 'basic');
}

export { TransportError };
