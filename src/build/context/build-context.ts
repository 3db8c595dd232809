// The build context on the daemon's side: the tar the client sent, with .dockerignore applied, plus
// the lookups COPY/ADD need (globs, paths that must stay inside the context, content hashes that
// ignore mtimes). A small context stays in memory, indexed as it arrives, and is extracted under
// <data-root>/builder/tmp/ only when a step copies from it; a large one is extracted as it arrives.
import { promises as fs, createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { InvalidParameter, NotFound } from '../../lib/errors.js';
import { applyLayer } from '../../layers/archive/apply.js';
import { decompress } from '../../layers/archive/compression.js';
import { resolveInRoot } from '../../layers/archive/root-path.js';
import { PatternMatcher, readDockerignore, cleanPath } from './dockerignore.js';
import { globToRegExp, hasGlob } from './glob.js';
import { ContextIndex, entryLine } from './context-index.js';

/**
 * Contexts up to this size (uncompressed) are held in memory; larger ones are extracted while
 * they stream in, so memory stays bounded whatever the client sends.
 */
export const IN_MEMORY_CONTEXT_BYTES = 16 << 20;

/** A directory tree COPY reads from: the build context, or another stage's or image's root. */
export interface SourceTree {
  root: string;
  /** For the build context: paths it refuses (.dockerignore); false for image roots. */
  excluded(rel: string): boolean;
}

export class BuildContext implements SourceTree {
  private matcher = new PatternMatcher([]);
  /** Settles once `root` holds the extracted context. */
  private extracted?: Promise<void>;

  private constructor(
    readonly root: string,
    /** The uncompressed tar, while it is held in memory and not yet extracted. */
    private tar: Buffer[] | undefined,
    /** Undefined when the context is large or holds what the index does not model. */
    private readonly index: ContextIndex | undefined,
  ) {}

  /** Reads the context tar (any compression): into memory when small, else into a new directory under `tmpRoot`. */
  static async fromTar(input: Readable, tmpRoot: string): Promise<BuildContext> {
    const root = join(tmpRoot, randomBytes(8).toString('hex'));
    let ctx: BuildContext;
    try {
      const { stream } = await decompress(input);
      const chunks: Buffer[] = [];
      let size = 0;
      // The index is built while the rest arrives (the chunks are held anyway, so nothing waits for it).
      const feed = new PassThrough({ highWaterMark: IN_MEMORY_CONTEXT_BYTES });
      const owner = { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 };
      const indexed = ContextIndex.read(feed, owner);
      indexed.catch(() => undefined);
      const it = stream.iterator({ destroyOnReturn: false })[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      let next = await it.next();
      while (!next.done && size + next.value.length <= IN_MEMORY_CONTEXT_BYTES) {
        chunks.push(next.value);
        feed.write(next.value);
        size += next.value.length;
        next = await it.next();
      }
      if (next.done) {
        feed.end();
        const index = await indexed;
        ctx = new BuildContext(root, chunks, index);
        if (!index) await ctx.extract();
      } else {
        // Too large to hold: what was read so far, then the rest, straight to disk.
        feed.destroy();
        const first = next.value;
        const rest = Readable.from((async function* () {
          yield* chunks;
          yield first;
          for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
        })(), { objectMode: false });
        ctx = new BuildContext(root, undefined, undefined);
        ctx.extracted = ctx.extractFrom(rest, tmpRoot);
        await ctx.extracted;
      }
    } catch (err) {
      await fs.rm(root, { recursive: true, force: true });
      if (err instanceof InvalidParameter && /^failed to read the build context/.test(err.message)) throw err;
      throw new InvalidParameter(`failed to read the build context: ${(err as Error).message}`);
    }
    const ignore = await ctx.readText('.dockerignore');
    try {
      ctx.matcher = new PatternMatcher(readDockerignore(ignore ?? ''));
    } catch (err) {
      await ctx.close();
      throw new InvalidParameter(`failed to parse .dockerignore: ${(err as Error).message}`);
    }
    return ctx;
  }

  private async extractFrom(tar: Readable, tmpRoot: string): Promise<void> {
    await fs.mkdir(tmpRoot, { recursive: true, mode: 0o700 });
    await fs.mkdir(this.root, { mode: 0o755 });
    // The index assumes this mode for the context's root, whatever the umask.
    await fs.chmod(this.root, 0o755);
    try {
      await applyLayer(tar, this.root, { whiteouts: 'naive' });
    } catch (err) {
      throw new InvalidParameter(`failed to read the build context: ${(err as Error).message}`);
    }
  }

  /** Extracts the context under `root` (once); every step that copies from it waits for this. */
  extract(): Promise<void> {
    this.extracted ??= this.extractFrom(Readable.from(this.tar ?? [], { objectMode: false }), join(this.root, '..')).then(() => {
      this.tar = undefined;
    });
    return this.extracted;
  }

  async close(): Promise<void> {
    this.tar = undefined;
    if (this.extracted) {
      await this.extracted.catch(() => undefined);
      await fs.rm(this.root, { recursive: true, force: true });
    }
  }

  excluded(rel: string): boolean {
    return !this.matcher.empty && this.matcher.matches(rel);
  }

  /** A file's text (following symlinks inside the context), undefined when it is not a file. */
  private async readText(rel: string): Promise<string | undefined> {
    const bytes = this.index && !this.extracted ? this.index.fileBytes(rel) : null;
    if (bytes !== null) return bytes?.toString('utf8');
    await this.extract();
    const host = await resolveInRoot(this.root, rel, true);
    return fs.readFile(host, 'utf8').catch(() => undefined);
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
      const text = await this.readText(c);
      if (text !== undefined) return text;
    }
    throw new InvalidParameter(`Cannot locate specified Dockerfile: ${name || 'Dockerfile'}`);
  }

  /** resolveSources on the context: from the index when it can answer, else from the extracted tree. */
  async resolveSources(source: string, what: string): Promise<string[]> {
    if (this.index) {
      const out = resolveInIndex(this.index, this, source, what);
      if (out) return out;
    }
    await this.extract();
    return resolveSources(this, source, what);
  }

  /** hashSource on the context: the same value, from the index when it can answer. */
  async hashSource(rel: string): Promise<string> {
    const fromIndex = this.index?.hash(rel, (r) => this.excluded(r));
    if (fromIndex === undefined && this.index) throw new NotFound(`file not found in build context: ${rel}`);
    if (fromIndex) return fromIndex;
    await this.extract();
    return hashSource(this, rel);
  }
}

/** resolveSources answered from the index; undefined when a symlink is on a path it must follow. */
function resolveInIndex(index: ContextIndex, ctx: BuildContext, source: string, what: string): string[] | undefined {
  const { cleaned, raw } = sourcePath(source);
  if (raw === '..' || raw.startsWith('../')) throw new SourceError(`Forbidden path outside the build context: ${source} ()`);
  if (!hasGlob(cleaned)) {
    if (cleaned === '') return [''];
    const exists = index.exists(cleaned);
    if (exists === null) return undefined;
    if (!exists || ctx.excluded(cleaned)) throw notFound(what, cleaned);
    return [cleaned];
  }
  const re = globToRegExp(cleaned);
  const out: string[] = [];
  for (const rel of index.paths()) if (re.test(rel) && !ctx.excluded(rel)) out.push(rel);
  if (out.length === 0) throw new SourceError(`${what} failed: no source files were specified`);
  return out;
}

function sourcePath(source: string): { cleaned: string; raw: string } {
  return { cleaned: cleanPath(source.startsWith('/') ? source : '/' + source).slice(1), raw: cleanPath(source) };
}

function notFound(what: string, cleaned: string): SourceError {
  return new SourceError(`${what} failed: file not found in build context or excluded by .dockerignore: stat ${cleaned}: file does not exist`);
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
  const { cleaned, raw } = sourcePath(source);
  if (raw === '..' || raw.startsWith('../')) {
    throw new SourceError(`Forbidden path outside the build context: ${source} ()`);
  }
  if (!hasGlob(cleaned)) {
    if (cleaned === '') return [''];
    const host = await resolveInRoot(tree.root, cleaned, false);
    const exists = await fs.lstat(host).then(() => true, () => false);
    if (!exists || tree.excluded(cleaned)) throw notFound(what, cleaned);
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
 * The content hash of a source as the cache sees it: names, types, modes, owners, link targets and
 * file digests, never times, so touching a file keeps the cache. ContextIndex.hash computes the
 * same value from a context that was not extracted.
 */
export async function hashSource(tree: SourceTree, rel: string): Promise<string> {
  const h = createHash('sha256');
  const host = rel ? await resolveInRoot(tree.root, rel, true) : tree.root;
  // `name` is the path inside the source (for the hash), `ctxRel` its path in the tree (for .dockerignore).
  const add = async (path: string, name: string, ctxRel: string) => {
    const st = await fs.lstat(path);
    h.update(entryLine(name, st.mode, st.uid, st.gid));
    if (st.isSymbolicLink()) h.update(`link:${await fs.readlink(path)}\0`);
    else if (st.isFile()) {
      const file = createHash('sha256');
      for await (const chunk of createReadStream(path)) file.update(chunk as Buffer);
      h.update(`sha256:${file.digest('hex')}\0`);
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
