// Registry configuration: distribution's config file keys and its REGISTRY_* environment
// overrides, reduced to what Berth's registry serves. The file may be JSON or a YAML subset
// (block mappings by indentation, `key: scalar`, comments, quoted strings; no lists, anchors
// or flow style). An environment variable REGISTRY_A_B_C sets key a.b.c and wins over the file.
import { promises as fs } from 'node:fs';

export interface RegistryConfig {
  /** Listen address, `host:port` or `:port`. */
  addr: string;
  /** Filesystem storage root (storage.filesystem.rootdirectory). */
  root: string;
  /** storage.delete.enabled: DELETE of manifests and blobs. */
  deleteEnabled: boolean;
  htpasswd?: { realm: string; path: string };
  /** auth.token: Bearer tokens (JWT) signed by a key whose certificate is in rootcertbundle. */
  token?: TokenAuthConfig;
  tls?: { certificate: string; key: string };
  /** catalog.maxentries: the largest `n` _catalog accepts, and its page size. */
  catalogMaxEntries: number;
  /** Largest manifest accepted on PUT, 4 MiB as distribution. */
  maxManifestBytes: number;
}

export interface TokenAuthConfig {
  realm: string;
  service: string;
  issuer: string;
  rootCertBundle: string;
}

export const DEFAULT_CONFIG: RegistryConfig = {
  addr: ':5000',
  root: '/var/lib/registry',
  deleteEnabled: false,
  catalogMaxEntries: 1000,
  maxManifestBytes: 4 << 20,
};

type Tree = { [key: string]: Tree | string };

/** Loads a config file (when given), applies REGISTRY_* from `env`, and fills defaults. */
export async function loadRegistryConfig(file?: string, env: NodeJS.ProcessEnv = process.env): Promise<RegistryConfig> {
  const tree: Tree = file ? parseConfigText(await fs.readFile(file, 'utf8')) : {};
  applyEnv(tree, env);
  return fromTree(tree);
}

export function parseConfigText(text: string): Tree {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) return lowerKeys(JSON.parse(trimmed)) as Tree;
  return parseYamlSubset(text);
}

export function applyEnv(tree: Tree, env: NodeJS.ProcessEnv): void {
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('REGISTRY_') || value === undefined) continue;
    const path = name.slice('REGISTRY_'.length).toLowerCase().split('_').filter(Boolean);
    if (path.length === 0) continue;
    let node = tree;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      // `storage: filesystem` in a file is a mapping key written as a scalar; make room for children
      if (typeof next !== 'object') node[key] = {};
      node = node[key] as Tree;
    }
    node[path[path.length - 1]] = value;
  }
}

function fromTree(tree: Tree): RegistryConfig {
  const get = (...path: string[]): string | undefined => {
    let node: Tree | string | undefined = tree;
    for (const k of path) {
      if (!node || typeof node !== 'object') return undefined;
      node = node[k];
    }
    return typeof node === 'string' ? node : undefined;
  };
  const cfg: RegistryConfig = { ...DEFAULT_CONFIG };
  cfg.addr = get('http', 'addr') ?? cfg.addr;
  cfg.root = get('storage', 'filesystem', 'rootdirectory') ?? cfg.root;
  cfg.deleteEnabled = parseBool(get('storage', 'delete', 'enabled'), false);
  const realm = get('auth', 'htpasswd', 'realm');
  const path = get('auth', 'htpasswd', 'path');
  if (path) cfg.htpasswd = { realm: realm ?? 'basic-realm', path };
  const token = { realm: get('auth', 'token', 'realm'), service: get('auth', 'token', 'service'), issuer: get('auth', 'token', 'issuer'), rootCertBundle: get('auth', 'token', 'rootcertbundle') };
  if (Object.values(token).some((v) => v !== undefined)) {
    // As distribution: every one of these is required once token auth is configured.
    for (const [k, v] of Object.entries(token)) if (!v) throw new Error(`token auth requires auth.token.${k.toLowerCase()}`);
    cfg.token = token as TokenAuthConfig;
  }
  const certificate = get('http', 'tls', 'certificate');
  const key = get('http', 'tls', 'key');
  if (certificate && key) cfg.tls = { certificate, key };
  const max = get('catalog', 'maxentries');
  if (max !== undefined) {
    const n = Number(max);
    if (!Number.isInteger(n) || n < 0) throw new Error(`invalid catalog.maxentries: ${max}`);
    cfg.catalogMaxEntries = n;
  }
  return cfg;
}

function parseBool(v: string | undefined, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  return /^(true|yes|on|1)$/i.test(v.trim());
}

function lowerKeys(v: unknown): Tree | string {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const out: Tree = {};
    for (const [k, val] of Object.entries(v)) out[k.toLowerCase()] = lowerKeys(val);
    return out;
  }
  return String(v);
}

function parseYamlSubset(text: string): Tree {
  const root: Tree = {};
  const stack: { indent: number; node: Tree }[] = [{ indent: -1, node: root }];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = stripComment(lines[i]);
    if (!raw.trim() || raw.trim() === '---') continue;
    const indent = raw.length - raw.trimStart().length;
    const m = /^([^:]+):(?:\s+(.*))?$/.exec(raw.trim());
    if (!m) throw new Error(`config line ${i + 1}: expected "key: value", got ${JSON.stringify(raw.trim())}`);
    while (stack.length > 1 && stack[stack.length - 1].indent >= indent) stack.pop();
    const parent = stack[stack.length - 1].node;
    const key = m[1].trim().toLowerCase();
    const value = m[2]?.trim();
    if (value === undefined || value === '') {
      const child: Tree = {};
      parent[key] = child;
      stack.push({ indent, node: child });
    } else {
      parent[key] = unquote(value);
    }
  }
  return root;
}

function stripComment(line: string): string {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i).trimEnd();
  }
  return line.trimEnd();
}

function unquote(v: string): string {
  if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) return v.slice(1, -1);
  return v;
}
