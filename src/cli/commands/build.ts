// `berth build` (the legacy builder's client side, as `DOCKER_BUILDKIT=0 docker build`): the
// context directory is filtered by .dockerignore, streamed as a tar to POST /build, and the
// JSON messages are printed.
import { promises as fs, createReadStream } from 'node:fs';
import { join, relative, resolve, isAbsolute } from 'node:path';
import { randomBytes } from 'node:crypto';
import { displayJSONMessages } from '../client.js';
import { exactArgs, type Command } from '../command.js';
import { StatusError } from '../status-error.js';
import { PatternMatcher, readDockerignore } from '../../build/context/dockerignore.js';
import { writeTar, type TarWriteEntry } from '../../layers/archive/tar-writer.js';

async function* contextEntries(dir: string, ignore: PatternMatcher, keep: Set<string>, extra?: { name: string; path: string }): AsyncGenerator<TarWriteEntry> {
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
  if (extra) {
    const st = await fs.stat(extra.path);
    yield { header: { name: extra.name, type: 'file', size: st.size, mode: 0o644, uid: 0, gid: 0, mtimeNs: BigInt(Math.floor(st.mtimeMs)) * 1_000_000n }, body: createReadStream(extra.path) };
  }
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
    const dir = resolve(flags.args[0]!);
    const st = await fs.stat(dir).catch(() => undefined);
    if (!st?.isDirectory()) throw new StatusError(`unable to prepare context: path "${flags.args[0]}" not found`, 1);
    const ignoreText = await fs.readFile(join(dir, '.dockerignore'), 'utf8').catch(() => '');
    let ignore: PatternMatcher;
    try {
      ignore = new PatternMatcher(readDockerignore(ignoreText));
    } catch (err) {
      throw new StatusError(`failed to parse .dockerignore: ${(err as Error).message}`, 1);
    }
    let dockerfile = flags.string('file');
    let extra: { name: string; path: string } | undefined;
    if (dockerfile && dockerfile !== '-') {
      const abs = isAbsolute(dockerfile) ? dockerfile : resolve(dockerfile);
      const rel = relative(dir, abs);
      if (rel.startsWith('..')) {
        // As docker: a Dockerfile outside the context travels in the tar under a random name.
        dockerfile = `.dockerfile.${randomBytes(10).toString('hex')}`;
        extra = { name: dockerfile, path: abs };
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
    const body = writeTar(contextEntries(dir, ignore, keep, extra));
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
    try {
      await displayJSONMessages(res, ctx.stdout);
    } catch (err) {
      throw new StatusError((err as Error).message, 1);
    }
  },
};
