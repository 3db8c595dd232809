// The registry's filesystem storage. Layout under ROOT, the same as distribution's so either
// registry can serve the other's directory:
//   docker/registry/v2/blobs/<algo>/<hex[0:2]>/<hex>/data            content-addressed blobs
//   docker/registry/v2/repositories/<name>/_layers/<algo>/<hex>/link  blob is part of the repo
//   …/<name>/_manifests/revisions/<algo>/<hex>/link                    manifest is in the repo
//   …/<name>/_manifests/tags/<tag>/current/link                        tag → manifest digest
//   …/<name>/_uploads/<uuid>/{data,startedat}                          an upload in progress
//   …/<name>/_referrers/<subject digest>/<referrer digest>             (ours) referrers index
// Blobs only appear by rename after their digest was verified, so a killed upload is never
// visible; links are written with temp file + fsync + rename.
import { promises as fs, createReadStream } from 'node:fs';
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { join, dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { writeFileAtomic } from '../../lib/atomic-file.js';
import { RegistryError } from './errcode.js';

const ALGORITHMS: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

export interface ParsedDigest {
  algorithm: string;
  hex: string;
}

/** Parses `algo:hex` for the algorithms distribution accepts; undefined when malformed. */
export function parseDigest(s: string): ParsedDigest | undefined {
  const m = /^([a-z0-9]+):([a-f0-9]+)$/.exec(s);
  if (!m || ALGORITHMS[m[1]] !== m[2].length) return undefined;
  return { algorithm: m[1], hex: m[2] };
}

export function sha256Digest(data: Uint8Array): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

interface UploadState {
  hash: Hash;
  size: number;
  lock: Promise<unknown>;
}

export class RegistryStorage {
  readonly base: string;
  // Running hash of each upload so the final PUT needs no second pass over the data; rebuilt
  // from the file after a restart.
  private readonly uploads = new Map<string, UploadState>();

  constructor(readonly root: string) {
    this.base = join(root, 'docker', 'registry', 'v2');
  }

  // ---- paths -------------------------------------------------------------------------------

  blobPath(digest: string): string {
    const d = mustParse(digest);
    return join(this.base, 'blobs', d.algorithm, d.hex.slice(0, 2), d.hex, 'data');
  }

  private repoPath(repo: string, ...rest: string[]): string {
    return join(this.base, 'repositories', repo, ...rest);
  }

  private layerLink(repo: string, digest: string): string {
    const d = mustParse(digest);
    return this.repoPath(repo, '_layers', d.algorithm, d.hex, 'link');
  }

  private revisionLink(repo: string, digest: string): string {
    const d = mustParse(digest);
    return this.repoPath(repo, '_manifests', 'revisions', d.algorithm, d.hex, 'link');
  }

  private tagLink(repo: string, tag: string): string {
    return this.repoPath(repo, '_manifests', 'tags', tag, 'current', 'link');
  }

  private uploadDir(repo: string, uuid: string): string {
    return this.repoPath(repo, '_uploads', uuid);
  }

  // ---- blobs -------------------------------------------------------------------------------

  /** Size of a stored blob, or undefined when the registry does not hold it. */
  async blobSize(digest: string): Promise<number | undefined> {
    try {
      const st = await fs.stat(this.blobPath(digest));
      return st.isFile() ? st.size : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Size of a blob as seen from a repository: it must be linked there (layer or manifest). */
  async repoBlobSize(repo: string, digest: string): Promise<number | undefined> {
    if (!(await exists(this.layerLink(repo, digest))) && !(await exists(this.revisionLink(repo, digest)))) {
      return undefined;
    }
    return this.blobSize(digest);
  }

  async linkBlob(repo: string, digest: string): Promise<void> {
    const link = this.layerLink(repo, digest);
    await fs.mkdir(dirname(link), { recursive: true });
    await writeFileAtomic(link, digest, 0o644);
  }

  async unlinkBlob(repo: string, digest: string): Promise<boolean> {
    const link = this.layerLink(repo, digest);
    if (!(await exists(link))) return false;
    await fs.rm(dirname(link), { recursive: true, force: true });
    return true;
  }

  /** Every layer link of a repository (used by garbage collection). */
  async layerLinks(repo: string): Promise<string[]> {
    return this.digestsUnder(this.repoPath(repo, '_layers'));
  }

  async removeBlob(digest: string): Promise<void> {
    await fs.rm(dirname(this.blobPath(digest)), { recursive: true, force: true });
  }

  /** All blobs in the store, manifests included. */
  async allBlobs(): Promise<string[]> {
    const out: string[] = [];
    const top = join(this.base, 'blobs');
    for (const algorithm of await listDir(top)) {
      for (const prefix of await listDir(join(top, algorithm))) {
        for (const hex of await listDir(join(top, algorithm, prefix))) {
          const digest = `${algorithm}:${hex}`;
          if (parseDigest(digest) && (await exists(join(top, algorithm, prefix, hex, 'data')))) out.push(digest);
        }
      }
    }
    return out;
  }

  /** Stores a small blob (a manifest) already held in memory. */
  async putBlobBytes(data: Uint8Array, digest: string): Promise<void> {
    const path = this.blobPath(digest);
    if (await exists(path)) return;
    await fs.mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, data, 0o644);
  }

  // ---- uploads -----------------------------------------------------------------------------

  async createUpload(repo: string): Promise<string> {
    const uuid = randomUUID();
    const dir = this.uploadDir(repo, uuid);
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(join(dir, 'data'), '');
    await fs.writeFile(join(dir, 'startedat'), new Date().toISOString());
    this.uploads.set(uuid, { hash: createHash('sha256'), size: 0, lock: Promise.resolve() });
    return uuid;
  }

  /** Bytes received so far, or undefined for an unknown upload. */
  async uploadSize(repo: string, uuid: string): Promise<number | undefined> {
    if (!isUuid(uuid)) return undefined;
    try {
      return (await fs.stat(join(this.uploadDir(repo, uuid), 'data'))).size;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * Appends a request body to an upload, hashing as it streams. `expectStart` is the chunk's
   * first offset from Content-Range. A chunk that does not arrive whole is cut off again, so
   * the upload stays at its previous offset and the client can resume from there.
   */
  async appendUpload(repo: string, uuid: string, body: Readable, expectStart?: number): Promise<number> {
    return this.withUpload(repo, uuid, async (state, dataPath) => {
      if (expectStart !== undefined && expectStart !== state.size) {
        throw new RegistryError('RANGE_INVALID', { expected: state.size, got: expectStart });
      }
      const start = state.size;
      const saved = state.hash.copy();
      const fh = await fs.open(dataPath, 'r+');
      let pos = start;
      try {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          await fh.write(chunk, 0, chunk.length, pos);
          state.hash.update(chunk);
          pos += chunk.length;
        }
        state.size = pos;
        return pos;
      } catch (err) {
        await fh.truncate(start).catch(() => undefined);
        state.hash = saved;
        state.size = start;
        throw err;
      } finally {
        await fh.close();
      }
    });
  }

  /**
   * Verifies the upload against `digest` (and `size` when given) and moves it into the blob
   * store by rename, then links it into the repository. A mismatch discards the upload.
   */
  async commitUpload(repo: string, uuid: string, digest: string): Promise<{ digest: string; size: number }> {
    const wanted = parseDigest(digest);
    if (!wanted) throw new RegistryError('DIGEST_INVALID', 'digest parsing failed');
    const result = await this.withUpload(repo, uuid, async (state, dataPath) => {
      let actual: string;
      if (wanted.algorithm === 'sha256') actual = 'sha256:' + state.hash.copy().digest('hex');
      else actual = `${wanted.algorithm}:${await hashFile(dataPath, wanted.algorithm)}`;
      if (actual !== digest) {
        return { error: new RegistryError('DIGEST_INVALID', { digest }) };
      }
      const target = this.blobPath(digest);
      if (!(await exists(target))) {
        const fh = await fs.open(dataPath, 'r');
        try {
          await fh.sync();
        } finally {
          await fh.close();
        }
        await fs.mkdir(dirname(target), { recursive: true });
        await fs.rename(dataPath, target);
        await syncDir(dirname(target));
      }
      return { size: state.size };
    });
    await this.cancelUpload(repo, uuid);
    if ('error' in result) throw result.error;
    await this.linkBlob(repo, digest);
    return { digest, size: result.size };
  }

  async cancelUpload(repo: string, uuid: string): Promise<boolean> {
    if (!isUuid(uuid)) return false;
    const dir = this.uploadDir(repo, uuid);
    const known = await exists(dir);
    this.uploads.delete(uuid);
    await fs.rm(dir, { recursive: true, force: true });
    return known;
  }

  private async withUpload<T>(
    repo: string,
    uuid: string,
    fn: (state: UploadState, dataPath: string) => Promise<T>,
  ): Promise<T> {
    const dataPath = join(this.uploadDir(repo, uuid), 'data');
    const size = await this.uploadSize(repo, uuid);
    if (size === undefined) throw new RegistryError('BLOB_UPLOAD_UNKNOWN', { uuid });
    let state = this.uploads.get(uuid);
    if (!state) {
      state = { hash: createHash('sha256'), size: 0, lock: Promise.resolve() };
      this.uploads.set(uuid, state);
      const s = state;
      state.lock = (async () => {
        for await (const chunk of createReadStream(dataPath) as AsyncIterable<Buffer>) {
          s.hash.update(chunk);
          s.size += chunk.length;
        }
      })();
    }
    // Requests on one upload are serialized: a second PATCH waits for the first to land.
    const s = state;
    const run = s.lock.then(() => {
      if (!this.uploads.has(uuid)) throw new RegistryError('BLOB_UPLOAD_UNKNOWN', { uuid });
      return fn(s, dataPath);
    });
    s.lock = run.catch(() => undefined);
    return run;
  }

  // ---- manifests and tags ------------------------------------------------------------------

  async hasManifest(repo: string, digest: string): Promise<boolean> {
    return (await exists(this.revisionLink(repo, digest))) && (await this.blobSize(digest)) !== undefined;
  }

  async putManifest(repo: string, digest: string, data: Uint8Array, tag?: string, subject?: string): Promise<void> {
    await this.putBlobBytes(data, digest);
    const rev = this.revisionLink(repo, digest);
    await fs.mkdir(dirname(rev), { recursive: true });
    await writeFileAtomic(rev, digest, 0o644);
    if (subject && parseDigest(subject)) {
      const dir = this.repoPath(repo, '_referrers', subject);
      await fs.mkdir(dir, { recursive: true });
      await fs.writeFile(join(dir, digest), '');
    }
    if (tag) await this.tag(repo, tag, digest);
  }

  async tag(repo: string, tag: string, digest: string): Promise<void> {
    const link = this.tagLink(repo, tag);
    await fs.mkdir(dirname(link), { recursive: true });
    await writeFileAtomic(link, digest, 0o644);
  }

  async resolveTag(repo: string, tag: string): Promise<string | undefined> {
    try {
      const d = (await fs.readFile(this.tagLink(repo, tag), 'utf8')).trim();
      return parseDigest(d) ? d : undefined;
    } catch (err) {
      if (isNotFound(err) || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw err;
    }
  }

  async readManifest(repo: string, digest: string): Promise<Buffer | undefined> {
    if (!(await exists(this.revisionLink(repo, digest)))) return undefined;
    try {
      return await fs.readFile(this.blobPath(digest));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Tags of a repository, sorted; undefined when the repository does not exist. */
  async tags(repo: string): Promise<string[] | undefined> {
    if (!(await exists(this.repoPath(repo, '_manifests')))) return undefined;
    const names = await listDir(this.repoPath(repo, '_manifests', 'tags'));
    const out: string[] = [];
    for (const t of names) if (await exists(this.tagLink(repo, t))) out.push(t);
    return out.sort();
  }

  async untag(repo: string, tag: string): Promise<boolean> {
    if (!(await exists(this.tagLink(repo, tag)))) return false;
    await fs.rm(this.repoPath(repo, '_manifests', 'tags', tag), { recursive: true, force: true });
    return true;
  }

  /** Removes a manifest revision, the tags that point at it and its referrer entry. */
  async deleteManifest(repo: string, digest: string): Promise<boolean> {
    const rev = this.revisionLink(repo, digest);
    if (!(await exists(rev))) return false;
    for (const t of (await this.tags(repo)) ?? []) {
      if ((await this.resolveTag(repo, t)) === digest) await this.untag(repo, t);
    }
    const refDir = this.repoPath(repo, '_referrers');
    for (const subject of await listDir(refDir)) {
      await fs.rm(join(refDir, subject, digest), { force: true });
    }
    await fs.rm(dirname(rev), { recursive: true, force: true });
    return true;
  }

  async manifestRevisions(repo: string): Promise<string[]> {
    return this.digestsUnder(this.repoPath(repo, '_manifests', 'revisions'));
  }

  /** Digests of manifests in `repo` whose subject is `subject`. */
  async referrers(repo: string, subject: string): Promise<string[]> {
    const out: string[] = [];
    for (const d of await listDir(this.repoPath(repo, '_referrers', subject))) {
      if (parseDigest(d) && (await exists(this.revisionLink(repo, d)))) out.push(d);
    }
    return out.sort();
  }

  /** Repository names, sorted lexically. */
  async repositories(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, prefix: string): Promise<void> => {
      const entries = await listDir(dir);
      if (entries.includes('_manifests') && prefix) out.push(prefix);
      for (const e of entries) {
        if (e.startsWith('_')) continue;
        await walk(join(dir, e), prefix ? `${prefix}/${e}` : e);
      }
    };
    await walk(join(this.base, 'repositories'), '');
    return out.sort();
  }

  private async digestsUnder(dir: string): Promise<string[]> {
    const out: string[] = [];
    for (const algorithm of await listDir(dir)) {
      for (const hex of await listDir(join(dir, algorithm))) {
        const d = `${algorithm}:${hex}`;
        if (parseDigest(d) && (await exists(join(dir, algorithm, hex, 'link')))) out.push(d);
      }
    }
    return out;
  }
}

function mustParse(digest: string): ParsedDigest {
  const d = parseDigest(digest);
  if (!d) throw new RegistryError('DIGEST_INVALID', { digest });
  return d;
}

function isUuid(s: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(s);
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

async function exists(path: string): Promise<boolean> {
  try {
    await fs.access(path);
    return true;
  } catch {
    return false;
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw err;
  }
}

async function hashFile(path: string, algorithm: string): Promise<string> {
  const h = createHash(algorithm);
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) h.update(chunk);
  return h.digest('hex');
}

async function syncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
