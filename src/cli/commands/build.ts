// `berth build` (the legacy builder's client side, as `DOCKER_BUILDKIT=0 docker build`): the
// context directory is filtered by .dockerignore, streamed as a tar to POST /build, and the
// JSON messages are printed.
import { promises as fs, createReadStream } from 'node:fs';
import { join, relative, resolve, isAbsolute } from 'node:path';
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { readAll, showProgress } from '../client.js';
import { exactArgs, type Command } from '../command.js';
import { StatusError } from '../status-error.js';
import { PatternMatcher, readDockerignore } from '../../build/context/dockerignore.js';
import { writeTar, type TarWriteEntry } from '../../layers/archive/tar-writer.js';

/** A Dockerfile sent beside the context (from outside it, or from stdin). */
interface ExtraDockerfile {
  name: string;
  data: Buffer;
  mtimeMs: number;
}

async function* contextEntries(dir: string, ignore: PatternMatcher, keep: Set<string>, extra?: ExtraDockerfile): AsyncGenerator<TarWriteEntry> {
  async function* walk(rel: string): AsyncGenerator<TarWriteEntry> {
    const names = (await fs.readdir(rel ? join(dir, rel) : dir)).sort();
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      const skip = !keep.has(r) && ignore.matches(r);
      const st = await fs.lstat(join(dir, r));
      // An excluded directory may still hold `!` exceptions, so it is walked when there are any.
      if (skip && !(st.isDirectory() && ignore.exclusions)) continue;
      const base = { mode: st.mode & 0o7777, uid: 0, gid: 0, mtimeNs: BigInt(Math.floor(st.mtimeMs)) * 1_000_000n };
      if (st.isDirectory()) {
        if (!skip) yield { header: { ...base, name: `${r}/`, type: 'dir', size: 0 } };
        yield* walk(r);
      } else if (st.isSymbolicLink()) {
        yield { header: { ...base, name: r, type: 'symlink', linkname: await fs.readlink(join(dir, r)), size: 0 } };
      } else if (st.isFile()) {
        yield { header: { ...base, name: r, type: 'file', size: st.size }, body: createReadStream(join(dir, r)) };
      }
    }
  }
  yield* walk('');
  if (extra) yield dockerfileEntry(extra);
}

function dockerfileEntry(f: ExtraDockerfile): TarWriteEntry {
  return { header: { name: f.name, type: 'file', size: f.data.length, mode: 0o644, uid: 0, gid: 0, mtimeNs: BigInt(Math.floor(f.mtimeMs)) * 1_000_000n }, body: Readable.from([f.data]) };
}

/** Reads up to `size` bytes of `input` and returns them with a stream of everything (nothing lost). */
async function peek(input: Readable, size: number): Promise<{ head: Buffer; all: Readable }> {
  const chunks: Buffer[] = [];
  let got = 0;
  const it = input[Symbol.asyncIterator]();
  let done = false;
  while (got < size) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    const b = Buffer.from(r.value as Buffer);
    chunks.push(b);
    got += b.length;
  }
  async function* rest(): AsyncGenerator<Buffer> {
    yield* chunks;
    if (done) return;
    for (let r = await it.next(); !r.done; r = await it.next()) yield Buffer.from(r.value as Buffer);
  }
  return { head: Buffer.concat(chunks).subarray(0, size), all: Readable.from(rest()) };
}

/** What the docker CLI accepts as a context archive on stdin: tar, gzip, bzip2 or xz. */
function isArchive(head: Buffer): boolean {
  if (head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return true;
  const starts = (bytes: number[]) => bytes.every((b, i) => head[i] === b);
  return starts([0x1f, 0x8b]) || starts([0x42, 0x5a, 0x68]) || starts([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
}

/** `berth build -`: a context archive as is, or a lone Dockerfile made into a context. */
async function stdinContext(stdin: Readable): Promise<Readable> {
  const { head, all } = await peek(stdin, 512);
  if (isArchive(head)) return all;
  return writeTar((async function* () {
    yield dockerfileEntry({ name: 'Dockerfile', data: await readAll(all), mtimeMs: Date.now() });
  })());
}

export const buildCommand: Command = {
  name: 'build',
  usage: '[OPTIONS] PATH',
  short: 'Build an image from a Dockerfile',
  args: exactArgs(1),
  flags: [
    { name: 'tag', short: 't', kind: 'list', help: 'Name and optionally a tag in the "name:tag" format' },
    { name: 'file', short: 'f', kind: 'string', help: 'Name of the Dockerfile (Default is "PATH/Dockerfile")' },
    { name: 'build-arg', kind: 'list', help: 'Set build-time variables' },
    { name: 'label', kind: 'list', help: 'Set metadata for an image' },
    { name: 'target', kind: 'string', help: 'Set the target build stage to build.' },
    { name: 'no-cache', kind: 'bool', help: 'Do not use cache when building the image' },
    { name: 'pull', kind: 'bool', help: 'Always attempt to pull a newer version of the image' },
    { name: 'quiet', short: 'q', kind: 'bool', help: 'Suppress the build output and print image ID on success' },
    { name: 'rm', kind: 'bool', help: 'Remove intermediate containers after a successful build', default: true },
    { name: 'force-rm', kind: 'bool', help: 'Always remove intermediate containers' },
    { name: 'cache-from', kind: 'list', help: 'Images to consider as cache sources' },
    { name: 'network', kind: 'string', help: 'Set the networking mode for the RUN instructions during build', default: 'default' },
    { name: 'shm-size', kind: 'bytes', help: 'Size of "/dev/shm"' },
    { name: 'memory', short: 'm', kind: 'bytes', help: 'Memory limit' },
    { name: 'cpu-shares', short: 'c', kind: 'int', help: 'CPU shares (relative weight)' },
  ],
  async run(ctx, flags) {
    const fromStdin = flags.args[0] === '-';
    if (fromStdin && flags.string('file') === '-') throw new StatusError("invalid argument: can't use stdin for both build context and dockerfile", 1);
    const dir = resolve(flags.args[0]!);
    const st = fromStdin ? undefined : await fs.stat(dir).catch(() => undefined);
    if (!fromStdin && !st?.isDirectory()) throw new StatusError(`unable to prepare context: path "${flags.args[0]}" not found`, 1);
    const ignoreText = fromStdin ? '' : await fs.readFile(join(dir, '.dockerignore'), 'utf8').catch(() => '');
    let ignore: PatternMatcher;
    try {
      ignore = new PatternMatcher(readDockerignore(ignoreText));
    } catch (err) {
      throw new StatusError(`failed to parse .dockerignore: ${(err as Error).message}`, 1);
    }
    let dockerfile = flags.string('file');
    let extra: ExtraDockerfile | undefined;
    if (dockerfile === '-') {
      // As docker: a Dockerfile from stdin travels in the tar under a random name.
      dockerfile = `.dockerfile.${randomBytes(10).toString('hex')}`;
      extra = { name: dockerfile, data: await readAll(ctx.stdin), mtimeMs: Date.now() };
    } else if (dockerfile && !fromStdin) {
      const abs = isAbsolute(dockerfile) ? dockerfile : resolve(dockerfile);
      const rel = relative(dir, abs);
      if (rel.startsWith('..')) {
        // As docker: a Dockerfile outside the context travels in the tar under a random name.
        dockerfile = `.dockerfile.${randomBytes(10).toString('hex')}`;
        const fst = await fs.stat(abs).catch(() => undefined);
        if (!fst?.isFile()) throw new StatusError(`unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${abs}: no such file or directory`, 1);
        extra = { name: dockerfile, data: await fs.readFile(abs), mtimeMs: fst.mtimeMs };
      } else dockerfile = rel;
    }
    const buildArgs: Record<string, string | null> = {};
    for (const a of flags.list('build-arg')) {
      const eq = a.indexOf('=');
      if (eq >= 0) buildArgs[a.slice(0, eq)] = a.slice(eq + 1);
      else buildArgs[a] = ctx.env[a] ?? null;
    }
    const labels: Record<string, string> = {};
    for (const l of flags.list('label')) {
      const eq = l.indexOf('=');
      labels[eq >= 0 ? l.slice(0, eq) : l] = eq >= 0 ? l.slice(eq + 1) : '';
    }
    const keep = new Set([dockerfile || 'Dockerfile', '.dockerignore']);
    const body = fromStdin ? await stdinContext(ctx.stdin) : writeTar(contextEntries(dir, ignore, keep, extra));
    const num = (name: string) => flags.number(name) || undefined;
    const res = await ctx.client().request('POST', '/build', {
      query: {
        t: flags.list('tag'),
        dockerfile: dockerfile || undefined,
        buildargs: JSON.stringify(buildArgs),
        labels: JSON.stringify(labels),
        target: flags.string('target') || undefined,
        nocache: flags.bool('no-cache') || undefined,
        pull: flags.bool('pull') || undefined,
        q: flags.bool('quiet') || undefined,
        rm: flags.bool('rm'),
        forcerm: flags.bool('force-rm') || undefined,
        cachefrom: JSON.stringify(flags.list('cache-from')),
        networkmode: flags.string('network'),
        shmsize: num('shm-size'),
        memory: num('memory'),
        cpushares: num('cpu-shares'),
      },
      body,
      headers: { 'Content-Type': 'application/x-tar' },
    });
    await showProgress(res, ctx.stdout);
  },
};
