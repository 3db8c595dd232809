// The few libc calls Node.js lacks (device nodes, binary xattrs, nanosecond timestamps, mounts),
// called through koffi. Failures become Node-style errors carrying `code` ('ENOENT', …) and
// `errno`, so callers can treat them like errors from node:fs.
import koffi from 'koffi';
import { getSystemErrorName } from 'node:util';

const libc = koffi.load('libc.so.6');

const mknodFn = libc.func('int mknod(const char *path, uint32_t mode, uint64_t dev)');
const lsetxattrFn = libc.func('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)');
const lgetxattrFn = libc.func('intptr_t lgetxattr(const char *path, const char *name, _Out_ void *value, size_t size)');
const llistxattrFn = libc.func('intptr_t llistxattr(const char *path, _Out_ void *list, size_t size)');
const utimensatFn = libc.func('int utimensat(int dirfd, const char *path, const int64_t *times, int flags)');
const mountFn = libc.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)');
const umount2Fn = libc.func('int umount2(const char *target, int flags)');
const mallocTrimFn = libc.func('int malloc_trim(size_t pad)');

const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
const NS_PER_SEC = 1_000_000_000n;

export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;
export const MNT_DETACH = 2;

export type LibcError = NodeJS.ErrnoException & { code: string; errno: number };

function fail(call: string, path: string, extra = ''): never {
  const errno = koffi.errno();
  const code = errno > 0 ? getSystemErrorName(-errno) : 'EUNKNOWN';
  const err = new Error(`${code}: ${call} ${path}${extra}`) as LibcError;
  err.code = code;
  err.errno = errno;
  err.syscall = call;
  err.path = path;
  throw err;
}

/** Linux's encoding of a device number (glibc's makedev). */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

/** Splits a device number (fs.Stats.rdev) into major and minor. */
export function splitdev(dev: number | bigint): { major: number; minor: number } {
  const d = BigInt(dev);
  const major = ((d >> 32n) & 0xfffff000n) | ((d >> 8n) & 0xfffn);
  const minor = ((d >> 12n) & 0xffffff00n) | (d & 0xffn);
  return { major: Number(major), minor: Number(minor) };
}

/** Creates a device node or fifo; `mode` includes the file type bits (S_IFCHR, S_IFBLK, S_IFIFO). */
export function mknod(path: string, mode: number, major = 0, minor = 0): void {
  if (mknodFn(path, mode, makedev(major, minor)) !== 0) fail('mknod', path);
}

/** Sets an extended attribute on `path` itself (not a symlink's target) to exact bytes. */
export function lsetxattr(path: string, name: string, value: Buffer): void {
  // A zero-length Buffer may be passed as NULL, which the kernel accepts for size 0.
  if (lsetxattrFn(path, name, value, value.length, 0) !== 0) fail('lsetxattr', path, ` ${name}`);
}

/** Reads an extended attribute of `path` itself; undefined when it is not set. */
export function lgetxattr(path: string, name: string): Buffer | undefined {
  for (;;) {
    const size = Number(lgetxattrFn(path, name, null, 0));
    if (size < 0) {
      if (koffi.errno() === 61 /* ENODATA */) return undefined;
      fail('lgetxattr', path, ` ${name}`);
    }
    if (size === 0) return Buffer.alloc(0);
    const buf = Buffer.alloc(size);
    const got = Number(lgetxattrFn(path, name, buf, size));
    if (got >= 0) return buf.subarray(0, got);
    // ERANGE: the value grew between the two calls; ask again.
    if (koffi.errno() !== 34) fail('lgetxattr', path, ` ${name}`);
  }
}

/** Lists the extended attribute names of `path` itself. */
export function llistxattr(path: string): string[] {
  for (;;) {
    const size = Number(llistxattrFn(path, null, 0));
    if (size < 0) fail('llistxattr', path);
    if (size === 0) return [];
    const buf = Buffer.alloc(size);
    const got = Number(llistxattrFn(path, buf, size));
    if (got >= 0) return buf.subarray(0, got).toString('utf8').split('\0').filter(Boolean);
    if (koffi.errno() !== 34) fail('llistxattr', path);
  }
}

/** Sets atime and mtime in nanoseconds since the epoch; `nofollow` changes a symlink itself. */
export function utimensat(path: string, atimeNs: bigint, mtimeNs: bigint, nofollow = true): void {
  const split = (ns: bigint): [bigint, bigint] => {
    let sec = ns / NS_PER_SEC;
    let nsec = ns % NS_PER_SEC;
    if (nsec < 0n) {
      sec -= 1n;
      nsec += NS_PER_SEC;
    }
    return [sec, nsec];
  };
  const times = new BigInt64Array([...split(atimeNs), ...split(mtimeNs)]);
  if (utimensatFn(AT_FDCWD, path, times, nofollow ? AT_SYMLINK_NOFOLLOW : 0) !== 0) fail('utimensat', path);
}

/** mount(2): `flags` are MS_* bits; `data` is the filesystem's option string. */
export function mount(source: string, target: string, fstype: string | null, flags: number, data: string | null): void {
  if (mountFn(source, target, fstype, flags, data) !== 0) fail('mount', target, ` (${fstype ?? 'bind'} from ${source})`);
}

/** umount2(2): `flags` such as MNT_DETACH. */
export function umount2(target: string, flags = 0): void {
  if (umount2Fn(target, flags) !== 0) fail('umount2', target);
}

/** Hands the C heap's free memory (every thread's arena) back to the kernel. */
export function mallocTrim(): void {
  mallocTrimFn(0);
}
