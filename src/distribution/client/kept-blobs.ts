// Compressed layer blobs kept from pulls, byte for byte as the registry served them, under
// image/<driver>/distribution/blobs/sha256/<hex>. Push sends them as they are, so an unchanged
// image keeps its blob and manifest digests on any registry. A blob appears there only whole and
// digest-verified (written under blobs/tmp/, renamed in once its image exists) and is removed
// once no layer has the diffID it was recorded against.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

const hex = (d: string) => d.replace(/^sha256:/, '');

export function keptBlobsDir(dataRoot: string, storageDriver = 'overlay2'): string {
  return join(dataRoot, 'image', storageDriver, 'distribution', 'blobs');
}

/** Bytes held by kept blobs (for `system df`): whole blobs only, not ones still arriving. */
export async function keptBlobBytes(dataRoot: string, storageDriver = 'overlay2'): Promise<number> {
  const dir = join(keptBlobsDir(dataRoot, storageDriver), 'sha256');
  let total = 0;
  for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
    total += await fs.stat(join(dir, name)).then((s) => s.size, () => 0);
  }
  return total;
}

/** A blob on its way in: a temp file that becomes visible only through `KeptBlobs.commit`. */
export interface PendingBlob {
  digest: string;
  tmp: string;
}

export class KeptBlobs {
  readonly dir: string;
  private readonly tmpDir: string;

  constructor(dataRoot: string, storageDriver = 'overlay2') {
    const base = keptBlobsDir(dataRoot, storageDriver);
    this.dir = join(base, 'sha256');
    this.tmpDir = join(base, 'tmp');
  }

  /** Temp files left by a pull that died are never whole blobs: drop them. */
  async init(): Promise<void> {
    await fs.rm(this.tmpDir, { recursive: true, force: true });
    await fs.mkdir(this.tmpDir, { recursive: true });
    await fs.mkdir(this.dir, { recursive: true });
  }

  pending(digest: string): PendingBlob {
    return { digest, tmp: join(this.tmpDir, `${hex(digest)}-${randomBytes(6).toString('hex')}`) };
  }

  /** Makes a verified blob visible (rename is atomic; an existing copy is the same bytes). */
  async commit(p: PendingBlob): Promise<void> {
    await fs.rename(p.tmp, this.path(p.digest));
  }

  async discard(p: PendingBlob): Promise<void> {
    await fs.rm(p.tmp, { force: true });
  }

  path(digest: string): string {
    return join(this.dir, hex(digest));
  }

  /** The size of a kept blob, or undefined when none is kept for `digest`. */
  async size(digest: string): Promise<number | undefined> {
    return fs.stat(this.path(digest)).then((s) => (s.isFile() ? s.size : undefined), () => undefined);
  }

  /** Removes kept blobs whose diffID (per `diffIdOf`) no layer has any more. */
  async sweep(diffIdOf: (digest: string) => Promise<string | undefined>, liveDiffIds: Set<string>): Promise<string[]> {
    const removed: string[] = [];
    for (const name of await fs.readdir(this.dir).catch(() => [] as string[])) {
      const digest = `sha256:${name}`;
      const diffId = await diffIdOf(digest);
      if (diffId && liveDiffIds.has(diffId)) continue;
      await fs.rm(join(this.dir, name), { force: true });
      removed.push(digest);
    }
    return removed;
  }
}
