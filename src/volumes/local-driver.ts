// The `local` volume driver: a directory `<data-root>/volumes/<name>/_data` per volume, optionally
// backed by a filesystem Docker's `type`/`device`/`o` options describe (tmpfs, a bind of a host
// path, a block device), mounted on first use and unmounted when its last user stops.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { Conflict, InvalidParameter, SystemError } from '../lib/errors.js';
import { isMountpoint } from '../lib/mountinfo.js';
import { treeSize } from '../lib/disk-usage.js';
import { mount, umount2, MNT_DETACH } from '../lib/libc.js';
import { parseMountOptions, MS_BIND, MS_REC, MS_REMOUNT } from './mount-options.js';

export const LOCAL_DRIVER = 'local';
const VALID_OPTIONS = new Set(['type', 'device', 'o', 'size']);
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export class LocalDriver {
  readonly name = LOCAL_DRIVER;
  /** Active users of each mounted (option-backed) volume. */
  private active = new Map<string, number>();

  constructor(readonly root: string) {}

  dir(name: string): string {
    return join(this.root, name);
  }

  mountpoint(name: string): string {
    return join(this.root, name, '_data');
  }

  validateName(name: string): void {
    if (!NAME_RE.test(name)) {
      throw new InvalidParameter(
        `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
      );
    }
  }

  validateOptions(name: string, opts: Record<string, string> | null | undefined): void {
    for (const key of Object.keys(opts ?? {})) {
      if (!VALID_OPTIONS.has(key)) throw new InvalidParameter(`create ${name}: invalid option: ${JSON.stringify(key)}`);
    }
    if (opts?.size) throw new InvalidParameter(`create ${name}: quota size requested but no quota support`);
    if (opts && (opts.device || opts.o) && !opts.type) throw new InvalidParameter(`create ${name}: missing required option: "type"`);
    if (opts?.type && !opts.device) throw new InvalidParameter(`create ${name}: missing required option: "device"`);
    if (opts?.o && /(^|,)r?bind(,|$)/.test(opts.o) && opts.device && !opts.device.startsWith('/')) {
      throw new InvalidParameter(`create ${name}: invalid device: ${opts.device}: bind devices must be absolute paths`);
    }
  }

  /** userns-remap: new volumes belong to the remapped root, as dockerd's local driver makes them. */
  rootOwner?: { uid: number; gid: number };

  async create(name: string): Promise<void> {
    await fs.mkdir(this.mountpoint(name), { recursive: true, mode: 0o755 });
    if (this.rootOwner) await fs.chown(this.mountpoint(name), this.rootOwner.uid, this.rootOwner.gid);
  }

  /** Whether this volume is backed by a filesystem mounted on use. */
  static mounted(opts: Record<string, string> | null | undefined): boolean {
    return !!opts?.type;
  }

  /** Makes the volume's data available and returns its path; counts the user. */
  async mount(name: string, opts: Record<string, string> | null | undefined): Promise<string> {
    const path = this.mountpoint(name);
    if (!LocalDriver.mounted(opts)) return path;
    const n = this.active.get(name) ?? 0;
    if (n === 0 && !isMountpoint(path)) {
      const parsed = parseMountOptions(opts!.o ?? '');
      const type = opts!.type === 'none' ? null : opts!.type!;
      try {
        await fs.mkdir(path, { recursive: true, mode: 0o755 });
        mount(opts!.device!, path, type, parsed.flags, parsed.data || null);
        // A bind ignores flags such as ro on its first call: they need a remount.
        if (parsed.flags & MS_BIND && parsed.flags & ~(MS_BIND | MS_REC)) mount('', path, null, parsed.flags | MS_REMOUNT, null);
        if (parsed.propagation) mount('', path, null, parsed.propagation, null);
      } catch (err) {
        throw new SystemError(
          `error while mounting volume '${path}': failed to mount local volume: mount ${opts!.device}:${path}, data: ${parsed.data}: ${(err as Error).message}`,
        );
      }
    }
    this.active.set(name, n + 1);
    return path;
  }

  /** Drops one user; the last one unmounts an option-backed volume. */
  async unmount(name: string, opts: Record<string, string> | null | undefined): Promise<void> {
    if (!LocalDriver.mounted(opts)) return;
    const n = (this.active.get(name) ?? 1) - 1;
    if (n > 0) {
      this.active.set(name, n);
      return;
    }
    this.active.delete(name);
    unmountAll(this.mountpoint(name));
  }

  /** After a restart: the users already running (live restore) keep the volume mounted. */
  restoreActive(name: string, users: number, opts: Record<string, string> | null | undefined): void {
    if (!LocalDriver.mounted(opts)) return;
    if (users > 0) this.active.set(name, users);
    else unmountAll(this.mountpoint(name));
  }

  async remove(name: string): Promise<void> {
    const path = this.mountpoint(name);
    unmountAll(path);
    // Never recurse into a filesystem that is still mounted: it could be a host directory.
    if (isMountpoint(path)) throw new Conflict(`remove ${name}: volume is still mounted at ${path}`);
    this.active.delete(name);
    await fs.rm(this.dir(name), { recursive: true, force: true });
  }

  /** Bytes used by the volume's files (each inode counted once), as `system df -v` shows. */
  async size(name: string): Promise<number> {
    return treeSize(this.mountpoint(name));
  }
}

function unmountAll(path: string): void {
  for (let i = 0; i < 8 && isMountpoint(path); i++) {
    try {
      umount2(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EBUSY') umount2(path, MNT_DETACH);
      else if (code !== 'EINVAL' && code !== 'ENOENT') throw new SystemError(`unmount ${path}: ${(err as Error).message}`);
    }
  }
}
