// The one caller of btrfs-progs (`btrfs`): subvolumes, snapshots, quota groups and the version
// line. Errors carry the command and btrfs's own message.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { SystemError } from '../../lib/errors.js';

const run = promisify(execFile);
const BTRFS = '/usr/bin/btrfs';

async function btrfs(args: string[]): Promise<string> {
  try {
    const { stdout } = await run(BTRFS, args, { timeout: 60_000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new SystemError(`btrfs ${args.join(' ')}: ${(e.stderr || e.message).trim()}`);
  }
}

export async function subvolumeCreate(path: string): Promise<void> {
  await btrfs(['subvolume', 'create', path]);
}

/** A writable snapshot of `source` at `path` (the copy-on-write child of a layer). */
export async function subvolumeSnapshot(source: string, path: string): Promise<void> {
  await btrfs(['subvolume', 'snapshot', source, path]);
}

export async function subvolumeDelete(path: string): Promise<void> {
  await btrfs(['subvolume', 'delete', path]);
}

/** The subvolume's id: its level-0 quota group is 0/<id>. */
export async function subvolumeId(path: string): Promise<number> {
  const out = await btrfs(['inspect-internal', 'rootid', path]);
  const id = Number(out.trim());
  if (!Number.isInteger(id) || id <= 0) throw new SystemError(`btrfs inspect-internal rootid ${path}: unexpected output ${JSON.stringify(out)}`);
  return id;
}

export async function quotaEnable(path: string): Promise<void> {
  await btrfs(['quota', 'enable', path]);
}

/** Limits the referenced bytes of the subvolume at `path`. */
export async function qgroupLimit(path: string, bytes: number): Promise<void> {
  await btrfs(['qgroup', 'limit', String(bytes), path]);
}

export async function qgroupDestroy(qgroup: string, path: string): Promise<void> {
  await btrfs(['qgroup', 'destroy', qgroup, path]);
}

/** "Btrfs v6.2", as Docker's btrfs driver shows its build version. */
export async function version(): Promise<string> {
  const out = await btrfs(['--version']);
  const m = /v[\d.]+/.exec(out);
  return m ? `Btrfs ${m[0]}` : out.trim();
}
