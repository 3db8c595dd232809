// Docker CLI contexts, stored as docker stores them so both CLIs share them:
// <config dir>/contexts/meta/<sha256 of name>/meta.json and contexts/tls/<same>/docker/{ca,cert,key}.pem.
// The "default" context is never stored: it is whatever -H / DOCKER_HOST / BERTH_HOST name.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';

export const DEFAULT_CONTEXT = 'default';
export const DEFAULT_CONTEXT_DESCRIPTION = 'Current DOCKER_HOST based configuration';
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$/;
const TLS_FILES = ['ca.pem', 'cert.pem', 'key.pem'] as const;
export type TlsFileName = (typeof TLS_FILES)[number];

export interface DockerEndpoint {
  Host: string;
  SkipTLSVerify: boolean;
}

/** meta.json as docker writes it. */
export interface ContextMeta {
  Name: string;
  Metadata: { Description?: string; [k: string]: unknown };
  Endpoints: { docker?: DockerEndpoint; [k: string]: unknown };
}

export type TlsMaterial = Partial<Record<TlsFileName, Buffer>>;

/** A context as `context inspect` prints it. */
export interface ContextInspect extends ContextMeta {
  TLSMaterial: { docker?: string[] };
  Storage: { MetadataPath: string; TLSPath: string };
}

export class ContextNotFound extends Error {}

export function contextId(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}

/** docker's context-name check, with its wording. */
export function validateContextName(name: string): void {
  if (name === '') throw new Error('context name cannot be empty');
  if (name === DEFAULT_CONTEXT) throw new Error(`"${DEFAULT_CONTEXT}" is a reserved context name`);
  if (!NAME_RE.test(name)) throw new Error(`context name "${name}" is invalid, names are validated against regexp "${NAME_RE.source}"`);
}

export class ContextStore {
  readonly metaRoot: string;
  readonly tlsRoot: string;

  constructor(configDir: string) {
    this.metaRoot = join(configDir, 'contexts', 'meta');
    this.tlsRoot = join(configDir, 'contexts', 'tls');
  }

  metaPath(name: string): string {
    return join(this.metaRoot, contextId(name));
  }
  tlsPath(name: string): string {
    return join(this.tlsRoot, contextId(name));
  }

  exists(name: string): boolean {
    return existsSync(join(this.metaPath(name), 'meta.json'));
  }

  /** Throws ContextNotFound with docker's text (which names the file it tried). */
  get(name: string): ContextMeta {
    const file = join(this.metaPath(name), 'meta.json');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new ContextNotFound(`context "${name}": context not found: open ${file}: no such file or directory`);
      }
      throw err;
    }
    const meta = JSON.parse(text) as ContextMeta;
    meta.Metadata ??= {};
    meta.Endpoints ??= {};
    return meta;
  }

  /** Every stored context; unreadable entries are skipped as docker's store does. */
  list(): ContextMeta[] {
    let dirs: string[];
    try {
      dirs = readdirSync(this.metaRoot);
    } catch {
      return [];
    }
    const out: ContextMeta[] = [];
    for (const d of dirs) {
      try {
        const meta = JSON.parse(readFileSync(join(this.metaRoot, d, 'meta.json'), 'utf8')) as ContextMeta;
        meta.Metadata ??= {};
        meta.Endpoints ??= {};
        out.push(meta);
      } catch {
        // Not a context directory.
      }
    }
    return out;
  }

  tls(name: string): TlsMaterial {
    const dir = join(this.tlsPath(name), 'docker');
    const out: TlsMaterial = {};
    for (const f of TLS_FILES) {
      try {
        out[f] = readFileSync(join(dir, f));
      } catch {
        // Absent: this part of the TLS configuration is not set.
      }
    }
    return out;
  }

  /** Writes meta.json (atomically) and the TLS files; nothing is left behind when a write fails. */
  create(meta: ContextMeta, tls: TlsMaterial): void {
    const metaDir = this.metaPath(meta.Name);
    const tlsDir = join(this.tlsPath(meta.Name), 'docker');
    try {
      if (Object.keys(tls).length) {
        mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
        for (const f of TLS_FILES) if (tls[f]) writeFileSync(join(tlsDir, f), tls[f]!, { mode: 0o600 });
      }
      mkdirSync(metaDir, { recursive: true, mode: 0o755 });
      const tmp = join(metaDir, `.meta.json.${process.pid}`);
      writeFileSync(tmp, JSON.stringify(meta), { mode: 0o644 });
      renameSync(tmp, join(metaDir, 'meta.json'));
    } catch (err) {
      this.remove(meta.Name);
      throw err;
    }
  }

  remove(name: string): void {
    rmSync(this.metaPath(name), { recursive: true, force: true });
    rmSync(this.tlsPath(name), { recursive: true, force: true });
  }

  inspect(name: string): ContextInspect {
    const meta = this.get(name);
    const files = Object.keys(this.tls(name)).sort();
    return {
      ...meta,
      TLSMaterial: files.length ? { docker: files } : {},
      Storage: { MetadataPath: this.metaPath(name), TLSPath: this.tlsPath(name) },
    };
  }
}
