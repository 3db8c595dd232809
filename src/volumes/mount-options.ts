// mount(8)-style option strings ("ro,nosuid,size=64m") split into mount(2) flags and the data
// string the filesystem reads, as moby/sys/mount does for the local driver's `o` option.

// Linux MS_* flags.
export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_SYNCHRONOUS = 0x10;
export const MS_REMOUNT = 0x20;
export const MS_MANDLOCK = 0x40;
export const MS_DIRSYNC = 0x80;
export const MS_NOATIME = 0x400;
export const MS_NODIRATIME = 0x800;
export const MS_BIND = 0x1000;
export const MS_REC = 0x4000;
export const MS_UNBINDABLE = 0x20000;
export const MS_PRIVATE = 0x40000;
export const MS_SLAVE = 0x80000;
export const MS_SHARED = 0x100000;
export const MS_RELATIME = 0x200000;
export const MS_STRICTATIME = 0x1000000;

// [clear?, flag]: "rw" clears MS_RDONLY, "ro" sets it.
const FLAGS: Record<string, [boolean, number]> = {
  defaults: [false, 0],
  ro: [false, MS_RDONLY],
  rw: [true, MS_RDONLY],
  suid: [true, MS_NOSUID],
  nosuid: [false, MS_NOSUID],
  dev: [true, MS_NODEV],
  nodev: [false, MS_NODEV],
  exec: [true, MS_NOEXEC],
  noexec: [false, MS_NOEXEC],
  sync: [false, MS_SYNCHRONOUS],
  async: [true, MS_SYNCHRONOUS],
  dirsync: [false, MS_DIRSYNC],
  remount: [false, MS_REMOUNT],
  mand: [false, MS_MANDLOCK],
  nomand: [true, MS_MANDLOCK],
  atime: [true, MS_NOATIME],
  noatime: [false, MS_NOATIME],
  diratime: [true, MS_NODIRATIME],
  nodiratime: [false, MS_NODIRATIME],
  bind: [false, MS_BIND],
  rbind: [false, MS_BIND | MS_REC],
  relatime: [false, MS_RELATIME],
  norelatime: [true, MS_RELATIME],
  strictatime: [false, MS_STRICTATIME],
  nostrictatime: [true, MS_STRICTATIME],
};

const PROPAGATION: Record<string, number> = {
  private: MS_PRIVATE,
  rprivate: MS_PRIVATE | MS_REC,
  shared: MS_SHARED,
  rshared: MS_SHARED | MS_REC,
  slave: MS_SLAVE,
  rslave: MS_SLAVE | MS_REC,
  unbindable: MS_UNBINDABLE,
  runbindable: MS_UNBINDABLE | MS_REC,
};

export interface MountOptions {
  flags: number;
  /** Propagation change to apply with a second mount(2) call, 0 if none. */
  propagation: number;
  data: string;
}

export function parseMountOptions(options: string): MountOptions {
  let flags = 0;
  let propagation = 0;
  const data: string[] = [];
  for (const o of options.split(',').filter(Boolean)) {
    const f = FLAGS[o];
    if (f) {
      flags = f[0] ? flags & ~f[1] : flags | f[1];
    } else if (PROPAGATION[o] !== undefined) {
      propagation = PROPAGATION[o]!;
    } else {
      data.push(o);
    }
  }
  return { flags, propagation, data: data.join(',') };
}
