// `berth cp`, `berth export` and `berth commit`: a container's files to and from the local disk.
// cp follows docker/cli's copy rules: the archive's top entry takes the destination's name unless
// the destination is an existing directory; `-` streams a raw tar through stdin/stdout.

import { promises as fs } from 'node:fs';
import { basename, dirname, join, resolve as resolvePath } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DaemonError } from '../client.js';
import { exactArgs, rangeArgs, type Command, type CommandContext } from '../command.js';
import { StatusError } from '../status-error.js';
import { applyLayer } from '../../layers/archive/apply.js';
import { packTree } from '../../layers/archive/diff.js';
import { readTar } from '../../layers/archive/tar-reader.js';
import { writeTar, type TarWriteEntry } from '../../layers/archive/tar-writer.js';
import { splitTarget } from './image-tags.js';
import { checkArchiveOutput, writeArchive } from './archive-output.js';
import { cpath } from './container-path.js';

/** The container path's stat, as the daemon sends it in X-Docker-Container-Path-Stat. */
interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

const GO_MODE_DIR = 0x80000000;
const GO_MODE_SYMLINK = 0x08000000;
const isDirMode = (mode: number): boolean => (mode >>> 0 & GO_MODE_DIR) !== 0;

function statFromHeader(value: string | string[] | undefined): PathStat | undefined {
  if (typeof value !== 'string') return undefined;
  return JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as PathStat;
}

/** docker/cli's splitCpArg: "CONTAINER:PATH" unless the argument is an absolute or ./ local path. */
export function splitCpArg(arg: string): { container: string; path: string } {
  if (arg.startsWith('/')) return { container: '', path: arg };
  const colon = arg.indexOf(':');
  if (colon === -1 || arg.startsWith('.')) return { container: '', path: arg };
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

/** Rewrites the archive's top-level name (from → to) in every entry and hard link target. */
function rebase(input: Readable, from: string, to: string): Readable {
  const swap = (name: string): string => {
    const clean = name.replace(/^\.\//, '');
    if (clean === from) return to;
    if (clean.startsWith(from + '/')) return to + clean.slice(from.length);
    return clean;
  };
  async function* entries(): AsyncGenerator<TarWriteEntry> {
    for await (const e of readTar(input)) {
      const header = { ...e.header, name: swap(e.header.name) };
      if (header.type === 'hardlink') header.linkname = swap(header.linkname);
      yield { header, body: header.type === 'file' ? e.body : undefined };
    }
  }
  return writeTar(entries());
}

async function localStat(path: string): Promise<import('node:fs').Stats | undefined> {
  return fs.stat(path).catch(() => undefined);
}

async function copyFromContainer(ctx: CommandContext, container: string, src: string, dst: string, followLink: boolean): Promise<void> {
  const client = ctx.client();
  let srcPath = src;
  if (followLink) {
    const head = await client.request('HEAD', `${cpath(container)}/archive`, { query: { path: srcPath } });
    head.resume();
    const st = statFromHeader(head.headers['x-docker-container-path-stat']);
    if (st && (st.mode >>> 0 & GO_MODE_SYMLINK) !== 0 && st.linkTarget) {
      srcPath = st.linkTarget.startsWith('/') ? st.linkTarget : join(dirname(srcPath), st.linkTarget);
    }
  }
  if (dst === '-') {
    const res = await client.request('GET', `${cpath(container)}/archive`, { query: { path: srcPath } });
    await pipeline(res, ctx.stdout, { end: false });
    return;
  }
  const dstAbs = resolvePath(dst);
  const parent = dirname(dstAbs);
  const parentStat = await localStat(parent);
  if (!parentStat?.isDirectory()) throw new StatusError(`invalid output path: directory "${dirname(dst)}" does not exist`, 1);
  const res = await client.request('GET', `${cpath(container)}/archive`, { query: { path: srcPath } });
  const st = statFromHeader(res.headers['x-docker-container-path-stat']);
  const srcIsDir = st ? isDirMode(st.mode) : false;
  const srcBase = st?.name && st.name !== '/' ? st.name : basename(srcPath) || '.';
  const dstStat = await localStat(dstAbs);
  let tar: Readable = res;
  let into = dstAbs;
  if (!dstStat) {
    if (dst.endsWith('/') && !srcIsDir) {
      res.resume();
      throw new StatusError(`destination directory "${dst}" must exist: no such directory`, 1);
    }
    tar = rebase(res, srcBase, basename(dstAbs));
    into = parent;
  } else if (!dstStat.isDirectory()) {
    if (srcIsDir) {
      res.resume();
      throw new StatusError(`cannot copy directory to file: destination "${dst}" is not a directory`, 1);
    }
    tar = rebase(res, srcBase, basename(dstAbs));
    into = parent;
  } else if (src.endsWith('/.') && srcIsDir) {
    // "SRC/." copies the directory's contents, not the directory.
    tar = rebase(res, srcBase, '.');
  }
  await applyLayer(tar, into, { whiteouts: 'naive' });
}

async function copyToContainer(ctx: CommandContext, src: string, container: string, dst: string, opts: { followLink: boolean; archive: boolean }): Promise<void> {
  const client = ctx.client();
  let dstStat: PathStat | undefined;
  try {
    const head = await client.request('HEAD', `${cpath(container)}/archive`, { query: { path: dst } });
    head.resume();
    dstStat = statFromHeader(head.headers['x-docker-container-path-stat']);
  } catch (err) {
    // HEAD answers carry no body, so the daemon's "no such container" has to be asked for again.
    if (!(err instanceof DaemonError) || err.statusCode !== 404) throw err;
    await client.json('GET', `${cpath(container)}/json`);
  }
  const dstIsDir = dstStat ? isDirMode(dstStat.mode) : false;
  let body: NodeJS.ReadableStream;
  let target = dst;
  if (src === '-') {
    if (!dstIsDir) throw new StatusError(`destination "${container}:${dst}" must be a directory`, 1);
    body = ctx.stdin;
  } else {
    let local = src;
    const lst = await fs.lstat(local).catch((err: NodeJS.ErrnoException) => {
      throw new StatusError(`lstat ${src}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`, 1);
    });
    if (opts.followLink && lst.isSymbolicLink()) local = await fs.realpath(local);
    const srcIsDir = (await fs.stat(local).catch(() => lst)).isDirectory() && !(lst.isSymbolicLink() && !opts.followLink);
    const srcBase = basename(resolvePath(src));
    let name = srcBase;
    if (!dstIsDir) {
      if (dstStat && srcIsDir) throw new StatusError(`cannot copy directory to file: destination "${container}:${dst}" is not a directory`, 1);
      if (!dstStat && dst.endsWith('/')) throw new StatusError(`destination "${container}:${dst}" must be a directory`, 1);
      name = basename(dst);
      target = dirname(dst) || '/';
    } else if (src.endsWith('/.') && srcIsDir) {
      name = '.';
    }
    body = packTree(dirname(resolvePath(local)), { includeRoot: basename(resolvePath(local)), rebaseName: name });
  }
  const res = await client.request('PUT', `${cpath(container)}/archive`, {
    query: { path: target, noOverwriteDirNonDir: true, copyUIDGID: opts.archive || undefined },
    body,
    headers: { 'Content-Type': 'application/x-tar' },
  });
  res.resume();
}

export const cpCommand: Command = {
  name: 'cp',
  usage: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\t{path} [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
  short: 'Copy files/folders between a container and the local filesystem',
  long: `Copy files/folders between a container and the local filesystem

Use '-' as the source to read a tar archive from stdin
and extract it to a directory destination in a container.
Use '-' as the destination to stream a tar archive of a
container source to stdout.`,
  args: exactArgs(2),
  flags: [
    { name: 'archive', short: 'a', kind: 'bool', help: 'Archive mode (copy all uid/gid information)' },
    { name: 'follow-link', short: 'L', kind: 'bool', help: 'Always follow symbol link in SRC_PATH' },
    {
      name: 'quiet',
      short: 'q',
      kind: 'bool',
      help: 'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached',
    },
  ],
  async run(ctx, flags) {
    const [srcArg, dstArg] = flags.args as [string, string];
    const src = splitCpArg(srcArg);
    const dst = splitCpArg(dstArg);
    if (src.container !== '' && dst.container !== '') throw new StatusError('copying between containers is not supported', 1);
    if (src.container === '' && dst.container === '') throw new StatusError('must specify at least one container source', 1);
    if (src.container !== '') {
      if (src.path === '') throw new StatusError('source can not be empty', 1);
      await copyFromContainer(ctx, src.container, src.path, dst.path, flags.bool('follow-link'));
    } else {
      if (dst.path === '') throw new StatusError('destination can not be empty', 1);
      await copyToContainer(ctx, src.path, dst.container, dst.path, { followLink: flags.bool('follow-link'), archive: flags.bool('archive') });
    }
  },
};

export const exportCommand: Command = {
  name: 'export',
  usage: '[OPTIONS] CONTAINER',
  short: "Export a container's filesystem as a tar archive",
  args: exactArgs(1),
  flags: [{ name: 'output', short: 'o', kind: 'string', help: 'Write to a file, instead of STDOUT' }],
  async run(ctx, flags) {
    const output = flags.string('output');
    await checkArchiveOutput(ctx, output, 'failed to export container');
    await writeArchive(ctx, await ctx.client().request('GET', `${cpath(flags.args[0]!)}/export`), output);
  },
};

export const commitCommand: Command = {
  name: 'commit',
  usage: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
  short: "Create a new image from a container's changes",
  args: rangeArgs(1, 2),
  flags: [
    { name: 'author', short: 'a', kind: 'string', help: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' },
    { name: 'change', short: 'c', kind: 'list', help: 'Apply Dockerfile instruction to the created image' },
    { name: 'message', short: 'm', kind: 'string', help: 'Commit message' },
    { name: 'no-pause', kind: 'bool', help: 'Disable pausing container during commit', hidden: true },
    { name: 'pause', short: 'p', kind: 'bool', help: 'Pause container during commit', default: true },
  ],
  async run(ctx, flags) {
    const [container, ref] = flags.args as [string, string | undefined];
    let repo: string | undefined;
    let tag: string | undefined;
    if (ref) {
      const explicitTag = ref.lastIndexOf(':') > ref.lastIndexOf('/');
      ({ repo, tag } = splitTarget(ref, false));
      if (!explicitTag) tag = undefined;
    }
    const pause = flags.bool('pause') && !flags.bool('no-pause');
    const r = await ctx.client().json<{ Id: string }>('POST', '/commit', {
      query: {
        container,
        repo,
        tag,
        comment: flags.string('message') || undefined,
        author: flags.string('author') || undefined,
        pause,
        changes: flags.list('change'),
      },
    });
    ctx.stdout.write(r.Id + '\n');
  },
};
