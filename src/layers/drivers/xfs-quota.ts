// XFS project quotas, through xfsprogs (xfs_io sets a directory's project id and inherit flag,
// xfs_quota sets the project's block limit): what overlay2 and vfs use for `--storage-opt size`
// when their home is on an xfs mounted with pquota/prjquota, as Docker's quota package does.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { InvalidParameter, SystemError } from '../../lib/errors.js';
import { mountContaining } from '../../lib/mountinfo.js';

const run = promisify(execFile);

async function xfs(program: 'xfs_io' | 'xfs_quota', args: string[]): Promise<string> {
  try {
    const { stdout } = await run(`/usr/sbin/${program}`, args, { timeout: 30_000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new SystemError(`${program} ${args.join(' ')}: ${(e.stderr || e.message).trim()}`);
  }
}

export class XfsProjectQuota {
  private constructor(private readonly mountPoint: string) {}

  /** The quota control for `home`, or undefined unless it is on xfs with project quotas on. */
  static probe(home: string): XfsProjectQuota | undefined {
    const m = mountContaining(home);
    if (!m || m.fsType !== 'xfs') return undefined;
    if (!m.superOptions.some((o) => o === 'prjquota' || o === 'pquota')) return undefined;
    return new XfsProjectQuota(m.mountPoint);
  }

  /**
   * Puts `dir` (still empty, so what is created below inherits it) in project `projectId`
   * limited to `bytes`.
   */
  async limit(dir: string, projectId: number, bytes: number): Promise<void> {
    if (bytes < 4096) throw new InvalidParameter(`invalid size: '${bytes}' (the smallest quota is 4KiB)`);
    await xfs('xfs_io', ['-c', `chproj ${projectId}`, '-c', 'chattr +P', dir]);
    await xfs('xfs_quota', ['-x', '-c', `limit -p bhard=${bytes} ${projectId}`, this.mountPoint]);
  }

  /** Lifts the limit of a project whose directory is being removed. */
  async release(projectId: number): Promise<void> {
    await xfs('xfs_quota', ['-x', '-c', `limit -p bhard=0 ${projectId}`, this.mountPoint]);
  }
}
