// Locates the shared conformance data: `../shared/conformance` beside the repository root (the
// directory holding package.json), found by walking up from this compiled file.

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

export const CONFORMANCE_DIR = resolve(repoRoot(), '..', 'shared', 'conformance');
export const BUILDKIT_DIR = join(CONFORMANCE_DIR, 'buildkit-dockerfile');
