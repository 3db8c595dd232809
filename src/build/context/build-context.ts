// The build context on the daemon's side: the tar the client sent, extracted into a private
// directory, with .dockerignore applied, plus the lookups COPY/ADD need (globs, paths that must
// stay inside the context, and content hashes that ignore mtimes).
import { promises as fs, createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { InvalidParameter, NotFound } from '../../lib/errors.js';
import { applyLayer } from '../../layers/archive/apply.js';
import { resolveInRoot } from '../../layers/archive/root-path.js';
import { PatternMatcher, readDockerignore, cleanPath } from './dockerignore.js';
import { globToRegExp, hasGlob } from './glob.js';

/** A directory tree COPY reads from: the build context, or another stage's or image's root. */
export interface SourceTree {
  root: string;
  /** For the build context: paths it refuses (.dockerignore); false for image roots. */
  excluded(rel: string): boolean;
}

export class BuildContext implements SourceTree {
  private constructor(
    readonly root: string,
    private readonly matcher: PatternMatcher,
  ) {}

  /** Extracts the context tar (any compression) into a new directory under `tmpRoot`. */
  static async fromTar(input: Readable, tmpRoot: string): Promise<BuildContext> {
    await fs.mkdir(tmpRoot, { recursive: true, mode: 0o700 });
    const root = join(tmpRoot, randomBytes(8).toString('hex'));
    await fs.mkdir(root, { mode: 0o755 });
    try {
      await applyLayer(input, root, { whiteouts: 'naive' });
    } catch (err) {
      await fs.rm(root, { recursive: true, force: true });
      throw new InvalidParameter(`failed to read the build context: ${(err as Error).message}`);
    }
    const ignore = await fs.readFile(join(root, '.dockerignore'), 'utf8').catch(() => '');
    let matcher: PatternMatcher;
    try {
      matcher = new PatternMatcher(readDockerignore(ignore));
    } catch (err) {
      await fs.rm(root, { recursive: true, force: true });
      throw new InvalidParameter(`failed to parse .dockerignore: ${(err as Error).message}`);
    }
    return new BuildContext(root, matcher);
  }

  async close(): Promise<void> {
    await fs.rm(this.root, { recursive: true, force: true });
  }

  excluded(rel: string): boolean {
    return !this.matcher.empty && this.matcher.matches(rel);
  }

  /**
   * The Dockerfile's text. `name` is the `dockerfile` query parameter, relative to the context;
   * like Docker, a missing `Dockerfile` falls back to `dockerfile`.
   */
  async readDockerfile(name: string): Promise<string> {
    const rel = cleanPath(name || 'Dockerfile');
    if (rel === '..' || rel.startsWith('../') || rel.startsWith('/')) {
      throw new InvalidParameter(`Forbidden path outside the build context: ${name} ()`);
    }
    const candidates = name ? [rel] : ['Dockerfile', 'dockerfile'];
    for (const c of candidates) {
      const host = await resolveInRoot(this.root, c, true);
      const text = await fs.readFile(host, 'utf8').catch(() => undefined);
      if (text !== undefined) return text;
    }
    throw new InvalidParameter(`Cannot locate specified Dockerfile: ${name || 'Dockerfile'}`);
  }
}

/** Paths of a tree in walk order (relative, slash-separated), directories before their contents. */
async function* walk(root: string, rel = ''): AsyncGenerator<{ rel: string; dir: boolean }> {
  const entries = await fs.readdir(rel ? join(root, rel) : root, { withFileTypes: true }).catch(() => []);
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    yield { rel: r, dir: e.isDirectory() };
    if (e.isDirectory()) yield* walk(root, r);
  }
}

export class SourceError extends InvalidParameter {}

/**
 * The relative paths a COPY/ADD source names in `tree`: the path itself, or every path its glob
 * matches (Go's filepath.Match on whole paths). Refuses paths that leave the tree.
 */
export async function resolveSources(tree: SourceTree, source: string, what: string): Promise<string[]> {
  const cleaned = cleanPath(source.startsWith('/') ? source : '/' + source).slice(1);
  const raw = cleanPath(source);
  if (raw === '..' || raw.startsWith('../')) {
    throw new SourceError(`Forbidden path outside the build context: ${source} ()`);
  }
  if (!hasGlob(cleaned)) {
    if (cleaned === '') return [''];
    const host = await resolveInRoot(tree.root, cleaned, false);
    const exists = await fs.lstat(host).then(() => true, () => false);
    if (!exists || tree.excluded(cleaned)) {
      throw new SourceError(`${what} failed: file not found in build context or excluded by .dockerignore: stat ${cleaned}: file does not exist`);
    }
    return [cleaned];
  }
  const re = globToRegExp(cleaned);
  const out: string[] = [];
  for await (const { rel } of walk(tree.root)) {
    if (re.test(rel) && !tree.excluded(rel)) out.push(rel);
  }
  if (out.length === 0) throw new SourceError(`${what} failed: no source files were specified`);
  return out;
}

/**
 * The content hash of a source as the cache sees it: names, types, modes, link targets and file
 * bytes, never times, so touching a file keeps the cache.
 */
export async function hashSource(tree: SourceTree, rel: string): Promise<string> {
  const h = createHash('sha256');
  const host = rel ? await resolveInRoot(tree.root, rel, true) : tree.root;
  // `name` is the path inside the source (for the hash), `ctxRel` its path in the tree (for .dockerignore).
  const add = async (path: string, name: string, ctxRel: string) => {
    const st = await fs.lstat(path);
    h.update(`${name}\0${st.mode.toString(8)}\0${st.uid}:${st.gid}\0`);
    if (st.isSymbolicLink()) h.update(`link:${await fs.readlink(path)}\0`);
    else if (st.isFile()) {
      for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
      h.update('\0');
    } else if (st.isDirectory()) {
      for (const n of (await fs.readdir(path)).sort()) {
        const childRel = ctxRel ? `${ctxRel}/${n}` : n;
        if (tree.excluded(childRel)) continue;
        await add(join(path, n), `${name}/${n}`, childRel);
      }
    }
  };
  const st = await fs.stat(host).catch(() => undefined);
  if (!st) throw new NotFound(`file not found in build context: ${rel}`);
  await add(host, '.', rel);
  return h.digest('hex');
}
