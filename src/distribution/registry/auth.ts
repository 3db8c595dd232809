// htpasswd basic authentication for the registry, as distribution's htpasswd access controller:
// `user:bcrypt-hash` lines, re-read when the file changes, 401 with a Basic challenge otherwise.
import { promises as fs } from 'node:fs';
import { createHash } from 'node:crypto';
import { bcryptVerify } from './bcrypt.js';

export class HtpasswdAuth {
  private users = new Map<string, string>();
  private loadedMtime = -1;
  // bcrypt is slow on purpose; a client sends the same header on every request
  private readonly accepted = new Set<string>();

  constructor(
    readonly realm: string,
    readonly path: string,
  ) {}

  /** True when the Authorization header carries a user and password the htpasswd file accepts. */
  async check(authorization: string | undefined): Promise<boolean> {
    await this.reload();
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
    if (!m) return false;
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const hash = this.users.get(user);
    if (!hash) return false;
    const key = createHash('sha256').update(`${user}\0${password}\0${hash}`).digest('hex');
    if (this.accepted.has(key)) return true;
    if (!bcryptVerify(password, hash)) return false;
    this.accepted.add(key);
    return true;
  }

  private async reload(): Promise<void> {
    let mtime: number;
    try {
      mtime = (await fs.stat(this.path)).mtimeMs;
    } catch {
      // a missing file denies everyone, as distribution does
      this.users.clear();
      this.loadedMtime = -1;
      return;
    }
    if (mtime === this.loadedMtime) return;
    this.users = parseHtpasswd(await fs.readFile(this.path, 'utf8'));
    this.accepted.clear();
    this.loadedMtime = mtime;
  }
}

/** Parses htpasswd lines; only bcrypt entries count, as in distribution. */
export function parseHtpasswd(text: string): Map<string, string> {
  const users = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const i = t.indexOf(':');
    if (i <= 0) continue;
    const hash = t.slice(i + 1);
    if (/^\$2[aby]?\$\d\d\$/.test(hash)) users.set(t.slice(0, i), hash);
  }
  return users;
}
