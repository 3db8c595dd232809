// `berth pull`, `berth push` and `berth login`: the daemon moves the images; the CLI sends the
// credentials saved by login (the docker CLI's config.json `auths`, so both CLIs share them) as
// X-Registry-Auth and prints the progress stream.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { displayJSONMessages } from '../client.js';
import { exactArgs, rangeArgs, type Command, type CommandContext } from '../command.js';
import { StatusError } from '../status-error.js';

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; identitytoken?: string }>;
  [k: string]: unknown;
}

function configPath(ctx: CommandContext): string {
  return join(ctx.env.DOCKER_CONFIG || join(ctx.env.HOME || '/root', '.docker'), 'config.json');
}

function readConfig(ctx: CommandContext): DockerConfigFile {
  try {
    return JSON.parse(readFileSync(configPath(ctx), 'utf8')) as DockerConfigFile;
  } catch {
    return {};
  }
}

/** The registry part of a reference, as config.json keys it (Docker Hub's index URL for Hub names). */
export function registryOf(ref: string): string {
  const first = ref.split('/')[0]!;
  if (ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return first;
  return 'https://index.docker.io/v1/';
}

function registryAuth(ctx: CommandContext, ref: string): string {
  const server = registryOf(ref);
  const entry = readConfig(ctx).auths?.[server];
  let body: Record<string, string> = {};
  if (entry?.auth) {
    const plain = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = plain.indexOf(':');
    body = { username: plain.slice(0, colon), password: plain.slice(colon + 1), serveraddress: server };
  }
  if (entry?.identitytoken) body = { ...body, identitytoken: entry.identitytoken, serveraddress: server };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

/** NAME[:TAG|@DIGEST] → fromImage and tag as the API takes them. */
function splitRef(ref: string): { name: string; tag: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { name: ref.slice(0, at), tag: ref.slice(at + 1) };
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return { name: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { name: ref, tag: '' };
}

export const pullCommand: Command = {
  name: 'pull',
  usage: '[OPTIONS] NAME[:TAG|@DIGEST]',
  short: 'Download an image from a registry',
  args: exactArgs(1),
  flags: [
    { name: 'platform', kind: 'string', help: 'Set platform if server is multi-platform capable', default: process.env.DOCKER_DEFAULT_PLATFORM ?? '' },
    { name: 'quiet', short: 'q', kind: 'bool', help: 'Suppress verbose output' },
  ],
  async run(ctx, flags) {
    const ref = flags.args[0]!;
    const { name, tag } = splitRef(ref);
    const res = await ctx.client().request('POST', '/images/create', {
      query: { fromImage: name, tag: tag || 'latest', platform: flags.string('platform') || undefined },
      headers: { 'X-Registry-Auth': registryAuth(ctx, ref) },
    });
    const quiet = flags.bool('quiet');
    try {
      await displayJSONMessages(res, quiet ? ({ write: () => true } as unknown as NodeJS.WritableStream) : ctx.stdout);
    } catch (err) {
      throw new StatusError((err as Error).message, 1);
    }
    const full = ref.includes('/') && registryOf(ref) !== 'https://index.docker.io/v1/' ? ref : `docker.io/${ref.includes('/') ? '' : 'library/'}${ref}`;
    ctx.stdout.write(`${full}${tag ? '' : ':latest'}\n`);
  },
};

export const pushCommand: Command = {
  name: 'push',
  usage: '[OPTIONS] NAME[:TAG]',
  short: 'Upload an image to a registry',
  args: exactArgs(1),
  flags: [
    { name: 'all-tags', short: 'a', kind: 'bool', help: 'Push all tags of an image to the repository' },
    { name: 'quiet', short: 'q', kind: 'bool', help: 'Suppress verbose output' },
  ],
  async run(ctx, flags) {
    const ref = flags.args[0]!;
    const { name, tag } = splitRef(ref);
    const res = await ctx.client().request('POST', `/images/${encodeURIComponent(name)}/push`, {
      query: { tag: flags.bool('all-tags') ? undefined : tag || 'latest' },
      headers: { 'X-Registry-Auth': registryAuth(ctx, ref) },
    });
    try {
      await displayJSONMessages(res, flags.bool('quiet') ? ({ write: () => true } as unknown as NodeJS.WritableStream) : ctx.stdout);
    } catch (err) {
      throw new StatusError((err as Error).message, 1);
    }
  },
};

export const loginCommand: Command = {
  name: 'login',
  usage: '[OPTIONS] [SERVER]',
  short: 'Authenticate to a registry',
  long: 'Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.',
  args: rangeArgs(0, 1),
  flags: [
    { name: 'username', short: 'u', kind: 'string', help: 'Username' },
    { name: 'password', short: 'p', kind: 'string', help: 'Password or Personal Access Token (PAT)' },
    { name: 'password-stdin', kind: 'bool', help: 'Take the Password or Personal Access Token (PAT) from stdin' },
  ],
  async run(ctx, flags) {
    const server = flags.args[0] ?? 'https://index.docker.io/v1/';
    const username = flags.string('username');
    let password = flags.string('password');
    if (flags.bool('password-stdin')) {
      const chunks: Buffer[] = [];
      for await (const c of ctx.stdin) chunks.push(c as Buffer);
      password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
    } else if (password) {
      ctx.stderr.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
    }
    if (!username || !password) throw new StatusError('Error: Cannot perform an interactive login from a non TTY device', 1);
    const answer = await ctx.client().json<{ Status: string; IdentityToken?: string }>('POST', '/auth', { body: { username, password, serveraddress: server } });
    const file = configPath(ctx);
    const cfg = readConfig(ctx);
    cfg.auths = { ...cfg.auths, [server]: answer.IdentityToken ? { identitytoken: answer.IdentityToken } : { auth: Buffer.from(`${username}:${password}`).toString('base64') } };
    mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
    writeFileSync(file, JSON.stringify(cfg, null, '\t') + '\n', { mode: 0o600 });
    ctx.stdout.write(`${answer.Status}\n`);
  },
};

export const logoutCommand: Command = {
  name: 'logout',
  usage: '[SERVER]',
  short: 'Log out from a registry',
  long: 'Log out from a registry.\nIf no server is specified, the default is defined by the daemon.',
  args: rangeArgs(0, 1),
  flags: [],
  async run(ctx, flags) {
    const server = flags.args[0] ?? 'https://index.docker.io/v1/';
    // config.json keys registries by host name, except Docker Hub's index URL.
    const host = flags.args[0] ? server.replace(/^https?:\/\//, '').replace(/\/.*$/, '') : server;
    ctx.stdout.write(`Removing login credentials for ${host}\n`);
    const cfg = readConfig(ctx);
    if (!cfg.auths || !(host in cfg.auths)) return;
    delete cfg.auths[host];
    writeFileSync(configPath(ctx), JSON.stringify(cfg, null, '\t'), { mode: 0o600 });
  },
};
