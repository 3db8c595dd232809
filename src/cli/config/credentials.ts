// Registry credentials as docker keeps them: in config.json `auths` (base64 "user:password"), or in
// a credential helper named by `credsStore` / `credHelpers` (docker-credential-<name>, spoken to
// through its get/store/erase protocol: the server URL or a JSON document on stdin, JSON on stdout).

import { spawn } from 'node:child_process';
import type { ConfigFile, StoredAuth } from './config-file.js';

/** The AuthConfig the daemon takes in X-Registry-Auth. */
export interface AuthConfig {
  username?: string;
  password?: string;
  email?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

export interface CredentialStore {
  get(server: string): Promise<AuthConfig>;
  store(auth: AuthConfig & { serveraddress: string }): Promise<void>;
  erase(server: string): Promise<void>;
  /** Where the secret ends up, for login's "stored unencrypted" warning. */
  readonly kind: 'file' | 'helper';
}

export const DOCKER_HUB_SERVER = 'https://index.docker.io/v1/';

/** The username a helper stores for an identity token instead of a password (docker's convention). */
const TOKEN_USERNAME = '<token>';
const NOT_FOUND_MESSAGE = 'credentials not found in native keychain';

/** "https://host:5000/v2/" → "host:5000": how keys of older config files are matched. */
export function convertToHostname(server: string): string {
  const s = server.replace(/^https?:\/\//, '');
  return s.split('/')[0]!;
}

function decodeAuth(stored: StoredAuth): { username: string; password: string } {
  if (!stored.auth) return { username: '', password: '' };
  const plain = Buffer.from(stored.auth, 'base64').toString('utf8');
  const colon = plain.indexOf(':');
  if (colon <= 0) throw new Error('Invalid auth configuration file');
  return { username: plain.slice(0, colon), password: plain.slice(colon + 1).replace(/\0+$/, '') };
}

function encodeAuth(username = '', password = ''): string | undefined {
  if (!username && !password) return undefined;
  return Buffer.from(`${username}:${password}`).toString('base64');
}

/** Credentials kept in config.json itself. */
export class FileStore implements CredentialStore {
  readonly kind = 'file';
  constructor(private readonly config: ConfigFile) {}

  private find(server: string): StoredAuth | undefined {
    const auths = this.config.auths;
    if (auths[server]) return auths[server];
    for (const [key, entry] of Object.entries(auths)) if (convertToHostname(key) === server) return entry;
    return undefined;
  }

  async get(server: string): Promise<AuthConfig> {
    const entry = this.find(server);
    if (!entry) return {};
    const { username, password } = decodeAuth(entry);
    const out: AuthConfig = { serveraddress: server };
    if (username) out.username = username;
    if (password) out.password = password;
    if (entry.email) out.email = entry.email;
    if (entry.identitytoken) out.identitytoken = entry.identitytoken;
    if (entry.registrytoken) out.registrytoken = entry.registrytoken;
    return out;
  }

  async store(auth: AuthConfig & { serveraddress: string }): Promise<void> {
    const entry: StoredAuth = {};
    const encoded = encodeAuth(auth.username, auth.password);
    if (encoded) entry.auth = encoded;
    if (auth.email) entry.email = auth.email;
    if (auth.identitytoken) entry.identitytoken = auth.identitytoken;
    if (auth.registrytoken) entry.registrytoken = auth.registrytoken;
    this.config.auths[auth.serveraddress] = entry;
    this.config.save();
  }

  async erase(server: string): Promise<void> {
    const auths = this.config.auths;
    let changed = false;
    for (const key of Object.keys(auths)) {
      if (key === server || convertToHostname(key) === server) {
        delete auths[key];
        changed = true;
      }
    }
    if (changed) this.config.save();
  }
}

interface HelperResult {
  code: number | null;
  stdout: string;
  spawnError?: Error;
}

function runHelper(program: string, action: string, input: string): Promise<HelperResult> {
  return new Promise((resolve) => {
    const child = spawn(program, [action], { stdio: ['pipe', 'pipe', 'inherit'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.on('error', (err) => resolve({ code: null, stdout: '', spawnError: err }));
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8') }));
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

/** The error docker's credential client reports when a helper fails (or cannot be started). */
function helperError(verb: string, program: string, r: HelperResult): Error {
  const err = r.spawnError
    ? (r.spawnError as NodeJS.ErrnoException).code === 'ENOENT'
      ? `exec: "${program}": executable file not found in $PATH`
      : r.spawnError.message
    : `exit status ${r.code}`;
  return new Error(`error ${verb} credentials - err: ${err}, out: \`${r.stdout.trim()}\``);
}

/** A docker-credential-<name> program; config.json keeps only an empty entry per server. */
export class HelperStore implements CredentialStore {
  readonly kind = 'helper';
  readonly program: string;
  private readonly file: FileStore;

  constructor(config: ConfigFile, helper: string) {
    this.program = `docker-credential-${helper}`;
    this.file = new FileStore(config);
  }

  async get(server: string): Promise<AuthConfig> {
    const base = await this.file.get(server);
    const r = await runHelper(this.program, 'get', server);
    if (r.code !== 0) {
      if (!r.spawnError && r.stdout.trim() === NOT_FOUND_MESSAGE) return base;
      throw helperError('getting', this.program, r);
    }
    let creds: { ServerURL?: string; Username?: string; Secret?: string };
    try {
      creds = JSON.parse(r.stdout) as typeof creds;
    } catch (err) {
      throw new Error(`error getting credentials - err: ${(err as Error).message}, out: \`${r.stdout.trim()}\``);
    }
    const out: AuthConfig = { ...base, serveraddress: server };
    delete out.password;
    delete out.username;
    delete out.identitytoken;
    if (creds.Username === TOKEN_USERNAME) out.identitytoken = creds.Secret ?? '';
    else {
      if (creds.Username) out.username = creds.Username;
      if (creds.Secret) out.password = creds.Secret;
    }
    return out;
  }

  async store(auth: AuthConfig & { serveraddress: string }): Promise<void> {
    const doc = auth.identitytoken
      ? { ServerURL: auth.serveraddress, Username: TOKEN_USERNAME, Secret: auth.identitytoken }
      : { ServerURL: auth.serveraddress, Username: auth.username ?? '', Secret: auth.password ?? '' };
    const r = await runHelper(this.program, 'store', JSON.stringify(doc) + '\n');
    if (r.code !== 0) throw helperError('storing', this.program, r);
    // What is left for config.json (an email, if any) goes to the file store.
    await this.file.store({ serveraddress: auth.serveraddress, email: auth.email });
  }

  async erase(server: string): Promise<void> {
    const r = await runHelper(this.program, 'erase', server);
    if (r.code !== 0) throw helperError('erasing', this.program, r);
    await this.file.erase(server);
  }
}

/** credHelpers[server] first, then credsStore, else config.json itself (docker's order). */
export function credentialStoreFor(config: ConfigFile, server: string): CredentialStore {
  const helper = config.credHelpers[server] || config.credsStore;
  return helper ? new HelperStore(config, helper) : new FileStore(config);
}
