// The build cache: a step's result (an image) is found again by a key made of its parent image,
// the instruction as the history records it, the build args in effect and the content hashes of
// the files it reads. Records live in <data-root>/builder/cache/<key>, one small file each,
// naming the image; a record whose image is gone is a miss. See docs/build-cache.md.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { writeFileAtomic } from '../lib/atomic-file.js';

export interface CacheKeyParts {
  /** Image the step runs on; '' for the first step on `scratch`. */
  parent: string;
  /** The step as history records it (`/bin/sh -c #(nop)  ENV a=1`, `|1 A=b /bin/sh -c make`). */
  createdBy: string;
  /** Build args in effect (RUN): sorted `k=v`. */
  args?: string[];
  /** Content hashes of what the step reads (COPY/ADD sources, another stage's image id). */
  contents?: string[];
  /** Anything else the result depends on (RUN's network mode, resource limits do not count). */
  extra?: Record<string, string>;
}

export function cacheKey(p: CacheKeyParts): string {
  const canonical = JSON.stringify([p.parent, p.createdBy, [...(p.args ?? [])].sort(), p.contents ?? [], Object.entries(p.extra ?? {}).sort()]);
  return createHash('sha256').update(canonical).digest('hex');
}

export class BuildCache {
  private readonly dir: string;

  constructor(dataRoot: string) {
    this.dir = join(dataRoot, 'builder', 'cache');
  }

  async init(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
  }

  /**
   * The image recorded for `key`, if `exists` still says it is there. A hit counts as a use: the
   * record's second line counts uses and its mtime is the last one (`system df`, `builder prune`).
   */
  async lookup(key: string, exists: (imageId: string) => boolean): Promise<string | undefined> {
    const { imageId: id, uses } = parseRecord(await fs.readFile(join(this.dir, key), 'utf8').catch(() => ''));
    if (!id || !exists(id)) return undefined;
    // Use counts and times are statistics (system df, prune order): not worth a flush per hit.
    await writeFileAtomic(join(this.dir, key), `${id}\n${uses + 1}\n`, { durable: false }).catch(() => undefined);
    return id;
  }

  async record(key: string, imageId: string): Promise<void> {
    await writeFileAtomic(join(this.dir, key), `${imageId}\n1\n`);
  }

  /** Every record with its use count and the time of its last use. */
  async entries(): Promise<CacheRecordEntry[]> {
    const out: CacheRecordEntry[] = [];
    for (const key of await fs.readdir(this.dir).catch(() => [] as string[])) {
      if (key.startsWith('.')) continue;
      const [text, st] = await Promise.all([fs.readFile(join(this.dir, key), 'utf8').catch(() => ''), fs.stat(join(this.dir, key)).catch(() => undefined)]);
      if (!st) continue;
      out.push({ key, ...parseRecord(text), lastUsed: st.mtimeMs });
    }
    return out;
  }

  async remove(key: string): Promise<void> {
    await fs.rm(join(this.dir, key), { force: true });
  }

  /** Drops records whose image is gone or matches `drop` (builder prune). Returns how many. */
  async prune(keep: (imageId: string) => boolean): Promise<number> {
    let n = 0;
    for (const key of await fs.readdir(this.dir).catch(() => [] as string[])) {
      if (key.startsWith('.')) continue;
      const id = parseRecord(await fs.readFile(join(this.dir, key), 'utf8').catch(() => '')).imageId;
      if (!id || !keep(id)) {
        await fs.rm(join(this.dir, key), { force: true });
        n++;
      }
    }
    return n;
  }
}

export interface CacheRecordEntry {
  key: string;
  imageId: string;
  uses: number;
  /** ms since the epoch */
  lastUsed: number;
}

/** `<image id>\n<uses>\n`; records from before use counting hold the image id alone. */
function parseRecord(text: string): { imageId: string; uses: number } {
  const [id = '', uses = ''] = text.split('\n');
  return { imageId: id.trim(), uses: Number(uses) || 1 };
}
