// What the drivers whose layers are whole directory trees (vfs copies, btrfs snapshots) share: one
// directory per layer under <home>/<subdir>, and diffs, changes and sizes found by comparing a
// layer with its parent (moby's NaiveDiffDriver does the same for them).
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Change } from '../archive/diff.js';
import { naiveChanges, naiveDiff, naiveDiffSize } from '../archive/naive-diff.js';

export abstract class FullTreeDriver {
  readonly applyMode = 'naive';

  constructor(
    readonly home: string,
    private readonly subdir: string,
  ) {}

  protected dir(id: string): string {
    return join(this.home, this.subdir, id);
  }

  size(id: string, parent?: string): Promise<number> {
    return naiveDiffSize(this.dir(id), parent && this.dir(parent));
  }

  diff(id: string, parent?: string): Readable {
    return naiveDiff(this.dir(id), parent && this.dir(parent));
  }

  changes(id: string, parent?: string): Promise<Change[]> {
    return naiveChanges(this.dir(id), parent && this.dir(parent));
  }

  containerRootParents(): string[] {
    return [join(this.home, this.subdir)];
  }

  async ids(): Promise<string[]> {
    return fs.readdir(join(this.home, this.subdir));
  }
}
