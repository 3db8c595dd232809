// Client side of AF_UNIX SOCK_SEQPACKET sockets (conmon's attach socket is one). Node's net
// module cannot connect them, but libuv reads and writes them like a pipe once the fd is open:
// each read returns one packet, which keeps conmon's one-byte stream prefix intact.
import koffi from 'koffi';
import net from 'node:net';
import { openSync, closeSync, constants as fsc } from 'node:fs';
import { basename, dirname } from 'node:path';

const AF_UNIX = 1;
const SOCK_SEQPACKET = 5;
const SOCK_CLOEXEC = 0o2000000;

const libc = koffi.load('libc.so.6');
const SockaddrUn = koffi.struct('sockaddr_un_berth', { sun_family: 'uint16', sun_path: koffi.array('char', 108) });
const socketFn = libc.func('int socket(int domain, int type, int protocol)');
const connectFn = libc.func('int connect(int fd, const sockaddr_un_berth *addr, uint32 len)');
const closeFn = libc.func('int close(int fd)');
const errnoLocation = libc.func('int *__errno_location()');

interface PipeWrapBinding {
  Pipe: new (type: number) => { open(fd: number): number };
  constants: { SOCKET: number };
}

function lastErrno(): number {
  return koffi.decode(errnoLocation(), 'int') as number;
}

/** Connects to a SOCK_SEQPACKET unix socket at `path` and returns it as a net.Socket. */
export function connectSeqpacket(path: string): net.Socket {
  // Paths under a temp exec root can exceed sun_path's 108 bytes: go through /proc/self/fd.
  const dirFd = openSync(dirname(path), fsc.O_RDONLY | fsc.O_DIRECTORY);
  try {
    const shortPath = `/proc/self/fd/${dirFd}/${basename(path)}`;
    const fd = socketFn(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0) as number;
    if (fd < 0) throw errnoError('socket', lastErrno(), path);
    const sun_path = Buffer.alloc(108);
    sun_path.write(shortPath);
    if ((connectFn(fd, { sun_family: AF_UNIX, sun_path: Array.from(sun_path) }, 110) as number) !== 0) {
      const errno = lastErrno();
      closeFn(fd);
      throw errnoError('connect', errno, path);
    }
    // process.binding('pipe_wrap') is the only way to hand libuv an fd whose type it cannot guess.
    const { Pipe, constants } = (process as unknown as { binding(name: string): PipeWrapBinding }).binding('pipe_wrap');
    const handle = new Pipe(constants.SOCKET);
    const rc = handle.open(fd);
    if (rc !== 0) {
      closeFn(fd);
      throw new Error(`cannot open seqpacket fd for ${path}: ${rc}`);
    }
    return new net.Socket({ handle } as unknown as net.SocketConstructorOpts);
  } finally {
    closeSync(dirFd);
  }
}

const ERRNO_NAMES: Record<number, string> = { 2: 'ENOENT', 13: 'EACCES', 111: 'ECONNREFUSED', 20: 'ENOTDIR' };

function errnoError(call: string, errno: number, path: string): NodeJS.ErrnoException {
  const code = ERRNO_NAMES[errno] ?? `errno ${errno}`;
  const err = new Error(`${call} ${path}: ${code}`) as NodeJS.ErrnoException;
  err.code = code;
  err.errno = errno;
  return err;
}
