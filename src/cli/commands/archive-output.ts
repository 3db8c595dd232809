// Where a tar stream from the daemon goes for `save` and `export`: stdout (never a terminal) or a
// file written through a temporary one beside it and renamed into place, so a failure leaves no tar.

import { createWriteStream, promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CommandContext } from '../command.js';
import { StatusError } from '../status-error.js';

/** docker/cli's ValidateOutputPath: the file's directory exists and the file is not a directory. */
export async function checkOutputPath(output: string, what: string): Promise<void> {
  const dir = dirname(output);
  try {
    const st = await fs.stat(dir);
    if (!st.isDirectory()) throw Object.assign(new Error(), { code: 'ENOTDIR' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file or directory' : code === 'ENOTDIR' ? 'not a directory' : (err as Error).message;
    throw new StatusError(`${what}: invalid output path: stat ${dir}: ${why}`, 1);
  }
  if ((await fs.stat(output).catch(() => undefined))?.isDirectory()) throw new StatusError(`${what}: cannot write to a directory`, 1);
}

/** Checked before the request is sent, so a refused output asks nothing of the daemon. */
export async function checkArchiveOutput(ctx: CommandContext, output: string, what: string): Promise<void> {
  if (output === '' && ctx.stdout.isTTY) throw new StatusError('cowardly refusing to save to a terminal. Use the -o flag or redirect', 1);
  if (output) await checkOutputPath(output, what);
}

/** Copies the archive to `output` (docker/cli's CopyToFile) or to stdout when there is none. */
export async function writeArchive(ctx: CommandContext, archive: Readable, output: string): Promise<void> {
  if (!output) {
    await pipeline(archive, ctx.stdout, { end: false });
    return;
  }
  const tmp = join(dirname(output), `.${basename(output)}.berth-${process.pid}`);
  try {
    await pipeline(archive, createWriteStream(tmp, { mode: 0o600 }));
    await fs.rename(tmp, output);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}
