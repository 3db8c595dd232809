// Crash-safe JSON documents: write to a temp file, fsync, rename over the target, fsync the
// directory. Every piece of metadata under the data root goes through here.
import { promises as fs } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface WriteOptions {
  mode?: number;
  /**
   * false: still atomic (temp file and rename: readers see the old or the new document, never a
   * torn one) but not flushed to disk, for state that is reconciled at start anyway.
   */
  durable?: boolean;
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, modeOrOptions: number | WriteOptions = 0o600): Promise<void> {
  const o = typeof modeOrOptions === 'number' ? { mode: modeOrOptions } : modeOrOptions;
  const durable = o.durable ?? true;
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await fs.open(tmp, 'w', o.mode ?? 0o600);
  try {
    await fh.writeFile(data);
    if (durable) await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await fs.rename(tmp, path);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  if (durable) await syncDir(dir);
}

export async function writeJsonAtomic(path: string, value: unknown, options: WriteOptions = {}): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value), options);
}

export async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await fs.readFile(path, 'utf8')) as T;
}

export async function readJsonIfExists<T>(path: string): Promise<T | undefined> {
  try {
    return await readJson<T>(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
