// `berth run` and `berth create`: flags → create request (pulling on "No such image"), and for run
// the docker CLI's sequence: attach before start, wait (next-exit, or removed with --rm), start,
// resize and signal proxying, then exit with the container's status.

import { writeFileSync, existsSync } from 'node:fs';
import { DaemonError, displayJSONMessages } from '../client.js';
import { minArgs, type Command, type CommandContext } from '../command.js';
import { buildContainerConfig, containerFlags, createOnlyFlags, runOnlyFlags, type ContainerConfig } from '../container-opts.js';
import { helpFlag, type ParsedFlags } from '../flags.js';
import { checkedDetachKeys, monitorTtySize, readWaitResult, streamHijacked } from '../attach.js';
import { cpath } from './container-path.js';
import { StatusError } from '../status-error.js';

/** "berth: <err>\n\nRun 'berth run --help' for more information" (docker/cli's withHelp). */
export function withHelp(message: string, commandName: string): string {
  return `berth: ${message}\n\nRun 'berth ${commandName} --help' for more information`;
}

/** run's toStatusError: 127 for a missing command, 126 for one that cannot be executed, else 125. */
export function runErrorStatus(err: unknown): StatusError {
  if (err instanceof StatusError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  if (msg.includes('executable file not found') || msg.includes('no such file or directory') || msg.includes('system cannot find the file specified')) {
    return new StatusError(withHelp(msg, 'run'), 127);
  }
  if (msg.includes('permission denied') || msg.includes('is a directory')) return new StatusError(withHelp(msg, 'run'), 126);
  return new StatusError(withHelp(msg, 'run'), 125);
}

/** Normalized name and tag of an image reference, and the familiar "name:tag" docker prints. */
export function splitImageRef(image: string): { name: string; tag: string; familiar: string } {
  let name = image;
  let tag = '';
  const at = image.indexOf('@');
  if (at !== -1) {
    name = image.slice(0, at);
    tag = image.slice(at + 1);
  } else {
    const colon = image.lastIndexOf(':');
    if (colon !== -1 && !image.slice(colon + 1).includes('/')) {
      name = image.slice(0, colon);
      tag = image.slice(colon + 1);
    }
  }
  const familiarName = name.replace(/^(docker\.io|index\.docker\.io)\/(library\/)?/, '');
  const sep = at !== -1 ? '@' : ':';
  const shownTag = tag || 'latest';
  return { name, tag: shownTag, familiar: `${familiarName}${sep}${shownTag}` };
}

async function pullImage(ctx: CommandContext, image: string, platform: string, quiet: boolean): Promise<void> {
  const ref = splitImageRef(image);
  const res = await ctx.client().request('POST', '/images/create', {
    query: { fromImage: ref.name, tag: ref.tag, platform: platform || undefined },
    headers: { 'X-Registry-Auth': Buffer.from('{}').toString('base64url') },
  });
  const sink = quiet ? { write: () => true } : ctx.stderr;
  await displayJSONMessages(res, sink as NodeJS.WritableStream);
}

/** Creates the container, pulling the image first when the daemon does not have it (--pull). */
async function createContainer(ctx: CommandContext, cfg: ContainerConfig, flags: ParsedFlags): Promise<string> {
  const pull = flags.string('pull');
  const quiet = flags.bool('quiet');
  const cidfile = flags.string('cidfile');
  if (cidfile && existsSync(cidfile)) {
    throw new Error(`container ID file found, make sure the other container isn't running or delete ${cidfile}`);
  }
  const client = ctx.client();
  const create = (): Promise<{ Id: string; Warnings?: string[] | null }> =>
    client.json('POST', '/containers/create', { query: { name: cfg.name || undefined, platform: cfg.platform || undefined }, body: cfg.body });
  if (pull === 'always') await pullImage(ctx, cfg.body.Image, cfg.platform, quiet);
  let created;
  try {
    created = await create();
  } catch (err) {
    if (!(err instanceof DaemonError) || err.statusCode !== 404 || pull !== 'missing') throw err;
    if (!quiet) ctx.stderr.write(`Unable to find image '${splitImageRef(cfg.body.Image).familiar}' locally\n`);
    await pullImage(ctx, cfg.body.Image, cfg.platform, quiet);
    created = await create();
  }
  for (const w of created.Warnings ?? []) ctx.stderr.write(`WARNING: ${w}\n`);
  if (cidfile) writeFileSync(cidfile, created.Id);
  return created.Id;
}

function validatePull(pull: string, command: string): void {
  if (pull !== 'always' && pull !== 'missing' && pull !== 'never') {
    throw new StatusError(withHelp(`invalid pull option: '${pull}': must be one of "always", "missing" or "never"`, command), 125);
  }
}

function parseConfig(ctx: CommandContext, flags: ParsedFlags, command: string): ContainerConfig {
  try {
    const cfg = buildContainerConfig(flags);
    // The daemon sizes the container's TTY from this before the first resize arrives.
    if (cfg.body.Tty && ctx.stdout.isTTY) cfg.body.HostConfig.ConsoleSize = [ctx.stdout.rows ?? 0, ctx.stdout.columns ?? 0];
    return cfg;
  } catch (err) {
    throw new StatusError(withHelp((err as Error).message, command), 125);
  }
}

export const createCommand: Command = {
  name: 'create',
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  short: 'Create a new container',
  flags: [...containerFlags, ...createOnlyFlags, { ...helpFlag }],
  args: minArgs(1),
  interspersed: false,
  async run(ctx, flags) {
    validatePull(flags.string('pull'), 'create');
    await ctx.client().negotiate();
    const cfg = parseConfig(ctx, flags, 'create');
    const id = await createContainer(ctx, cfg, flags);
    ctx.stdout.write(id + '\n');
  },
};

/** POST /wait sent before start; resolves to the exit status (125 when waiting itself failed). */
async function waitExitOrRemoved(ctx: CommandContext, id: string, autoRemove: boolean): Promise<{ status: Promise<number> }> {
  const { response } = await ctx.client().begin('POST', `${cpath(id)}/wait`, {
    query: { condition: autoRemove ? 'removed' : 'next-exit' },
  });
  const status = (async () => {
    try {
      const result = await readWaitResult(await response);
      if (result.Error?.Message) {
        ctx.stderr.write(`Error waiting for container: ${result.Error.Message}\n`);
        return 125;
      }
      return result.StatusCode ?? 0;
    } catch (err) {
      ctx.stderr.write(`Error waiting for container: ${(err as Error).message}\n`);
      return 125;
    }
  })();
  return { status };
}

/** Forwards SIGINT/SIGTERM/SIGHUP… to the container while the CLI waits on it (--sig-proxy). */
function proxySignals(ctx: CommandContext, id: string): () => void {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
  const handlers = signals.map((sig) => {
    const h = (): void => {
      ctx
        .client()
        .request('POST', `${cpath(id)}/kill`, { query: { signal: sig.replace(/^SIG/, '') } })
        .then((r) => r.resume())
        .catch(() => {});
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  return () => handlers.forEach(([sig, h]) => process.off(sig, h));
}

export const runCommand: Command = {
  name: 'run',
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  short: 'Create and run a new container from an image',
  flags: [...containerFlags, ...runOnlyFlags, { ...helpFlag }],
  args: minArgs(1),
  interspersed: false,
  async run(ctx, flags) {
    validatePull(flags.string('pull'), 'run');
    // Docker 28 parses before talking to the daemon: a bad -p fails even with no daemon running.
    const cfg = parseConfig(ctx, flags, 'run');
    const body = cfg.body;
    const detach = flags.bool('detach');
    if (!detach) {
      if (body.Tty && body.AttachStdin && !ctx.stdin.isTTY) throw new StatusError('the input device is not a TTY', 1);
    } else {
      if (flags.list('attach').length) throw new StatusError('conflicting options: cannot specify both --attach and --detach', 1);
      body.AttachStdin = false;
      body.AttachStdout = false;
      body.AttachStderr = false;
      body.StdinOnce = false;
    }
    const detachKeys = checkedDetachKeys(ctx, flags.string('detach-keys'));
    const autoRemove = flags.bool('rm');

    let id: string;
    try {
      id = await createContainer(ctx, cfg, flags);
    } catch (err) {
      throw runErrorStatus(err);
    }
    const client = ctx.client();
    const path = cpath(id);
    const stopSignals = flags.bool('sig-proxy') && !body.Tty ? proxySignals(ctx, id) : () => {};
    try {
      const attach = body.AttachStdin || body.AttachStdout || body.AttachStderr;
      let session: Promise<'eof' | 'detached'> | undefined;
      if (attach) {
        const socket = await client.hijack('POST', `${path}/attach`, {
          query: { stream: true, stdin: body.AttachStdin, stdout: body.AttachStdout, stderr: body.AttachStderr, detachKeys: detachKeys.requested },
        });
        session = streamHijacked(ctx, socket, {
          tty: body.Tty,
          attachStdin: body.AttachStdin,
          attachStdout: body.AttachStdout,
          attachStderr: body.AttachStderr,
          detachKeys: detachKeys.keys,
        });
        session.catch(() => {});
      }
      const status = attach ? (await waitExitOrRemoved(ctx, id, autoRemove)).status : undefined;
      try {
        await client.json('POST', `${path}/start`);
      } catch (err) {
        if (autoRemove && status) await Promise.race([status, new Promise((r) => setTimeout(r, 2000))]);
        throw runErrorStatus(err);
      }
      if (!attach) {
        ctx.stdout.write(id + '\n');
        return 0;
      }
      const stopResize = body.Tty ? monitorTtySize(ctx, `${path}/resize`) : () => {};
      try {
        const first = await Promise.race([session!.then((how) => ({ kind: 'session' as const, how })), status!.then((code) => ({ kind: 'status' as const, code }))]);
        if (first.kind === 'session') {
          if (first.how === 'detached') return 0;
          return await status!;
        }
        // The container is gone; drain whatever output is still in flight.
        await Promise.race([session, new Promise((r) => setTimeout(r, 1000))]);
        return first.code;
      } finally {
        stopResize();
      }
    } finally {
      stopSignals();
    }
  },
};
