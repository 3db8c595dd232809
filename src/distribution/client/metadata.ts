// What the engine remembers about layers it moved through registries, as Docker's
// image/<driver>/distribution/ does: for each diffID, the compressed blob digests it is known
// by and the repositories holding them. Push uses it to skip blobs (HEAD) or mount them.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic, readJsonIfExists } from '../../lib/atomic-file.js';

export interface V2Metadata {
  Digest: string;
  /** Full repository name, e.g. 127.0.0.1:5000/app or docker.io/library/busybox. */
  SourceRepository: string;
}

const hex = (d: string) => d.replace(/^sha256:/, '');

export class DistributionMetadata {
  private readonly byDiffId: string;
  private readonly diffIdByDigest: string;

  constructor(dataRoot: string, storageDriver = 'overlay2') {
    const base = join(dataRoot, 'image', storageDriver, 'distribution');
    this.byDiffId = join(base, 'v2metadata-by-diffid', 'sha256');
    this.diffIdByDigest = join(base, 'diffid-by-digest', 'sha256');
  }

  async init(): Promise<void> {
    await fs.mkdir(this.byDiffId, { recursive: true });
    await fs.mkdir(this.diffIdByDigest, { recursive: true });
  }

  async get(diffId: string): Promise<V2Metadata[]> {
    return (await readJsonIfExists<V2Metadata[]>(join(this.byDiffId, hex(diffId)))) ?? [];
  }

  async add(diffId: string, m: V2Metadata): Promise<void> {
    const list = (await this.get(diffId)).filter((x) => !(x.Digest === m.Digest && x.SourceRepository === m.SourceRepository));
    list.push(m);
    await writeJsonAtomic(join(this.byDiffId, hex(diffId)), list.slice(-50));
    await fs.writeFile(join(this.diffIdByDigest, hex(m.Digest)), diffId);
  }

  async diffIdOf(digest: string): Promise<string | undefined> {
    return fs.readFile(join(this.diffIdByDigest, hex(digest)), 'utf8').then((s) => s.trim() || undefined, () => undefined);
  }
}
