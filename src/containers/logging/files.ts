// The files of one container log: the live file conmon appends to (`<id>-json.log`) and the
// rotated ones beside it, `.1` the newest … `.N` the oldest, gzipped ones ending in `.gz`.
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface RotatedFile {
  path: string;
  /** 1 is the newest rotated file. */
  index: number;
  gzip: boolean;
}

export function rotatedPath(live: string, index: number, gzip: boolean): string {
  return `${live}.${index}${gzip ? '.gz' : ''}`;
}

/** Rotated files, newest first. Stray temporaries are ignored. */
export async function listRotated(live: string): Promise<RotatedFile[]> {
  const base = basename(live);
  const names = await fs.readdir(dirname(live)).catch(() => [] as string[]);
  const out: RotatedFile[] = [];
  for (const n of names) {
    if (!n.startsWith(base + '.')) continue;
    const m = /^(\d+)(\.gz)?$/.exec(n.slice(base.length + 1));
    if (!m) continue;
    out.push({ path: join(dirname(live), n), index: Number(m[1]), gzip: !!m[2] });
  }
  return out.sort((a, b) => a.index - b.index);
}

/** Removes the live file and every rotated one (used when a container is removed or recreated). */
export async function removeAll(live: string): Promise<void> {
  for (const f of await listRotated(live)) await fs.rm(f.path, { force: true });
  await fs.rm(live, { force: true });
}
