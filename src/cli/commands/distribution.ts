// `berth pull`, `berth push` and `berth login`: the daemon moves the images; the CLI sends the
// credentials saved by login (the docker CLI's config.json `auths`, so both CLIs share them) as
// X-Registry-Auth and prints the progress stream.
import { showProgress } from '../client.js';
import { exactArgs, rangeArgs, type Command, type CommandContext } from '../command.js';
import { convertToHostname, credentialStoreFor, DOCKER_HUB_SERVER, type AuthConfig } from '../config/credentials.js';
import { StatusError } from '../status-error.js';

/** The registry part of a reference, as config.json keys it (Docker Hub's index URL for Hub names). */
export function registryOf(ref: string): string {
  const first = ref.split('/')[0]!;
  if (ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return first;
  return DOCKER_HUB_SERVER;
}

/** X-Registry-Auth: the stored AuthConfig for the reference's registry, base64url JSON as docker sends it. */
async function registryAuth(ctx: CommandContext, ref: string): Promise<string> {
  const server = registryOf(ref);
  const auth: AuthConfig = await credentialStoreFor(ctx.config.file(), server).get(server);
  return Buffer.from(JSON.stringify(auth)).toString('base64url');
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
      headers: { 'X-Registry-Auth': await registryAuth(ctx, ref) },
    });
    await showProgress(res, flags.bool('quiet') ? undefined : ctx.stdout);
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
      headers: { 'X-Registry-Auth': await registryAuth(ctx, ref) },
    });
    await showProgress(res, flags.bool('quiet') ? undefined : ctx.stdout);
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
    const given = flags.args[0];
    // config.json keys registries by host name, except Docker Hub's index URL.
    const server = given && given !== 'docker.io' ? convertToHostname(given) : DOCKER_HUB_SERVER;
    const store = credentialStoreFor(ctx.config.file(), server);
    let username = flags.string('username');
    let password = flags.string('password');
    if (flags.bool('password-stdin')) {
      if (password) throw new StatusError('--password and --password-stdin are mutually exclusive', 1);
      if (!username) throw new StatusError('Must provide --username with --password-stdin', 1);
      const chunks: Buffer[] = [];
      for await (const c of ctx.stdin) chunks.push(c as Buffer);
      password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
    } else if (password) {
      ctx.stderr.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
    }
    let identitytoken: string | undefined;
    if (!username && !password) {
      // As docker: credentials saved earlier are tried before asking for new ones.
      const saved = await store.get(server);
      if (saved.username && (saved.password || saved.identitytoken)) {
        ctx.stderr.write(`Authenticating with existing credentials... [Username: ${saved.username}]\n`);
        username = saved.username;
        password = saved.password ?? '';
        identitytoken = saved.identitytoken;
      }
    }
    if (!username || (!password && !identitytoken)) throw new StatusError('Error: Cannot perform an interactive login from a non TTY device', 1);
    const answer = await ctx.client().json<{ Status: string; IdentityToken?: string }>('POST', '/auth', {
      body: { username, password, identitytoken, serveraddress: server },
    });
    const auth: AuthConfig & { serveraddress: string } = { serveraddress: server, username, password };
    if (answer.IdentityToken) {
      auth.password = '';
      auth.identitytoken = answer.IdentityToken;
    }
    try {
      await store.store(auth);
    } catch (err) {
      throw new StatusError(`Error saving credentials: ${(err as Error).message}`, 1);
    }
    if (store.kind === 'file') {
      ctx.stderr.write(`\nWARNING! Your credentials are stored unencrypted in '${ctx.config.file().path}'.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n\n`);
    }
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
    const given = flags.args[0];
    const server = given && given !== 'docker.io' ? convertToHostname(given) : DOCKER_HUB_SERVER;
    ctx.stdout.write(`Removing login credentials for ${server}\n`);
    try {
      await credentialStoreFor(ctx.config.file(), server).erase(server);
    } catch (err) {
      ctx.stderr.write(`WARNING: could not erase credentials: ${server}: ${(err as Error).message}\n`);
    }
  },
};
