// The client configuration file docker and berth share: <dir>/config.json, where dir is --config,
// DOCKER_CONFIG or ~/.docker. Reads what the CLI uses (auths, credsStore, credHelpers, psFormat,
// imagesFormat, detachKeys, currentContext …) and writes it back atomically in docker's key order.

import { mkdirSync, readFileSync, renameSync, writeFileSync, statSync, chmodSync, chownSync, unlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** One `auths` entry as config.json stores it (the password only inside `auth`). */
export interface StoredAuth {
  auth?: string;
  email?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** The keys docker's ConfigFile marshals, in its struct order; others are kept after them. */
const knownKeys = [
  'auths', 'HttpHeaders', 'psFormat', 'imagesFormat', 'networksFormat', 'pluginsFormat', 'volumesFormat', 'statsFormat',
  'detachKeys', 'credsStore', 'credHelpers', 'serviceInspectFormat', 'servicesFormat', 'tasksFormat', 'secretFormat',
  'configFormat', 'nodesFormat', 'pruneFilters', 'proxies', 'currentContext', 'cliPluginsExtraDirs', 'plugins', 'aliases',
  'features', 'experimental',
];

/** --config (when given), else DOCKER_CONFIG, else ~/.docker: docker/cli's config.Dir(). */
export function configDir(flagValue: string | undefined, env: NodeJS.ProcessEnv): string {
  return flagValue || env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker');
}

export class ConfigFile {
  readonly path: string;
  private data: Record<string, unknown>;

  private constructor(
    readonly dir: string,
    data: Record<string, unknown>,
  ) {
    this.path = join(dir, 'config.json');
    this.data = data;
  }

  /**
   * A missing file is an empty configuration; one that does not parse is reported and ignored,
   * as docker does ("WARNING: Error loading config file").
   */
  static load(dir: string, warn: (line: string) => void = () => {}): ConfigFile {
    const path = join(dir, 'config.json');
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') warn(`WARNING: Error loading config file: ${path}: ${(err as Error).message}`);
      return new ConfigFile(dir, {});
    }
    if (text.trim() === '') return new ConfigFile(dir, {});
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
      return new ConfigFile(dir, parsed as Record<string, unknown>);
    } catch (err) {
      warn(`WARNING: Error loading config file: ${path}: ${(err as Error).message}`);
      return new ConfigFile(dir, {});
    }
  }

  private str(key: string): string {
    const v = this.data[key];
    return typeof v === 'string' ? v : '';
  }

  get psFormat(): string {
    return this.str('psFormat');
  }
  get imagesFormat(): string {
    return this.str('imagesFormat');
  }
  get detachKeys(): string {
    return this.str('detachKeys');
  }
  get credsStore(): string {
    return this.str('credsStore');
  }
  get currentContext(): string {
    return this.str('currentContext');
  }
  set currentContext(name: string) {
    if (name) this.data.currentContext = name;
    else delete this.data.currentContext;
  }
  get credHelpers(): Record<string, string> {
    const v = this.data.credHelpers;
    return v && typeof v === 'object' ? (v as Record<string, string>) : {};
  }
  get auths(): Record<string, StoredAuth> {
    const v = this.data.auths;
    if (v && typeof v === 'object') return v as Record<string, StoredAuth>;
    const fresh: Record<string, StoredAuth> = {};
    this.data.auths = fresh;
    return fresh;
  }

  /** docker's MarshalIndent with tabs; `auths` is always written, even when empty. */
  serialize(): string {
    const out: Record<string, unknown> = { auths: this.auths };
    for (const k of knownKeys) if (k in this.data && k !== 'auths') out[k] = this.data[k];
    for (const k of Object.keys(this.data)) if (!(k in out)) out[k] = this.data[k];
    return JSON.stringify(out, null, '\t');
  }

  /** Temp file and rename, keeping the old file's mode and owner (config.json holds secrets). */
  save(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = join(dirname(this.path), `config.json${process.pid}${Date.now() % 1e6}`);
    writeFileSync(tmp, this.serialize(), { mode: 0o600 });
    try {
      try {
        const st = statSync(this.path);
        chmodSync(tmp, st.mode & 0o7777);
        chownSync(tmp, st.uid, st.gid);
      } catch {
        // No old file (or nothing to copy): the new one keeps 0600.
      }
      renameSync(tmp, this.path);
    } catch (err) {
      try {
        unlinkSync(tmp);
      } catch {
        // Already gone.
      }
      throw err;
    }
  }
}
