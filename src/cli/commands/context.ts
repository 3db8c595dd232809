// `berth context create|inspect|ls|rm|show|use`: docker's context commands over the shared context
// store (config/contexts.ts), with docker's outputs, messages and exit codes.

import { readFileSync } from 'node:fs';
import { exactArgs, inspectFormatHelp, listFormatHelp, minArgs, noArgs, rangeArgs, type Command, type CommandContext, type CommandGroup } from '../command.js';
import { ContextNotFound, DEFAULT_CONTEXT, DEFAULT_CONTEXT_DESCRIPTION, validateContextName, type ContextInspect, type ContextMeta, type TlsMaterial } from '../config/contexts.js';
import { StatusError } from '../status-error.js';
import { forEach, printRows } from './containers.js';
import { inspectAll } from './inspect.js';
import { naturalCompare } from '../natural-order.js';

const fail = (message: string): never => {
  throw new StatusError(message, 1);
};

/** The context in use; a broken choice (a DOCKER_CONTEXT naming nothing, say) exits 1 with its error. */
function currentContext(ctx: CommandContext): string {
  try {
    return ctx.config.currentContextName();
  } catch (err) {
    return fail((err as Error).message);
  }
}

/** Go's strconv.ParseBool, with its error text. */
function parseGoBool(key: string, v: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw new Error(`${key}: parsing "${v}": invalid syntax`);
}

/** The forms docker's ParseHost accepts for a context's host. */
function checkHost(host: string): void {
  if (!/^(unix|tcp|ssh|npipe|fd|http|https):\/\//.test(host)) throw new Error(`unable to apply docker endpoint options: unable to parse docker host \`${host}\``);
}

/** pflag's stringToString: comma-separated key=value pairs; a piece without "=" continues the previous value. */
export function parseStringToString(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  let last: string | undefined;
  for (const piece of raw.split(',')) {
    const eq = piece.indexOf('=');
    if (eq < 0) {
      if (last === undefined) throw new Error(`${piece} must be formatted as key=value`);
      out[last] += ',' + piece;
      continue;
    }
    last = piece.slice(0, eq);
    out[last] = piece.slice(eq + 1);
  }
  return out;
}

interface EndpointSpec {
  host: string;
  skipTLSVerify: boolean;
  tls: TlsMaterial;
}

/** The endpoint and TLS files of an existing context (the default one included). */
function endpointOf(ctx: CommandContext, name: string): EndpointSpec & { description: string } {
  const config = ctx.config;
  if (name === DEFAULT_CONTEXT) {
    const e = config.defaultEndpoint();
    const tls: TlsMaterial = {};
    if (e.tls?.ca) tls['ca.pem'] = e.tls.ca;
    if (e.tls?.cert) tls['cert.pem'] = e.tls.cert;
    if (e.tls?.key) tls['key.pem'] = e.tls.key;
    return { host: e.host, skipTLSVerify: e.tls !== undefined && !e.tls.verify, tls, description: DEFAULT_CONTEXT_DESCRIPTION };
  }
  const meta = config.contexts().get(name);
  const docker = meta.Endpoints.docker ?? { Host: '', SkipTLSVerify: false };
  return { host: docker.Host, skipTLSVerify: docker.SkipTLSVerify, tls: config.contexts().tls(name), description: meta.Metadata.Description ?? '' };
}

/** --docker "host=…,ca=…,cert=…,key=…,skip-tls-verify=…" (or from=NAME). */
function endpointFromFlag(ctx: CommandContext, spec: Record<string, string>): EndpointSpec {
  const known = ['from', 'host', 'ca', 'cert', 'key', 'skip-tls-verify'];
  for (const k of Object.keys(spec)) if (!known.includes(k)) throw new Error(`unrecognized config key: ${k}`);
  if (spec.from !== undefined) {
    const { host, skipTLSVerify, tls } = endpointOf(ctx, spec.from);
    return { host, skipTLSVerify, tls };
  }
  const tls: TlsMaterial = {};
  const files: [string, 'ca.pem' | 'cert.pem' | 'key.pem'][] = [['ca', 'ca.pem'], ['cert', 'cert.pem'], ['key', 'key.pem']];
  for (const [key, file] of files) {
    const path = spec[key];
    if (!path) continue;
    try {
      tls[file] = readFileSync(path.replace(/^~(?=\/)/, ctx.env.HOME ?? '~'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`open ${path}: no such file or directory`);
      throw err;
    }
  }
  const skipTLSVerify = spec['skip-tls-verify'] !== undefined ? parseGoBool('skip-tls-verify', spec['skip-tls-verify']) : false;
  const host = spec.host ?? '';
  if (host) checkHost(host);
  return { host, skipTLSVerify, tls };
}

const createCommand: Command = {
  name: 'create',
  usage: '[OPTIONS] CONTEXT',
  short: 'Create a context',
  args: exactArgs(1),
  flags: [
    { name: 'description', kind: 'string', help: 'Description of the context' },
    { name: 'docker', kind: 'string', typeName: 'stringToString', help: 'set the docker endpoint', defaultText: '[]' },
    { name: 'from', kind: 'string', help: 'create context from a named context' },
  ],
  async run(ctx, flags) {
    const name = flags.args[0]!;
    const store = ctx.config.contexts();
    try {
      validateContextName(name);
    } catch (err) {
      fail((err as Error).message);
    }
    if (store.exists(name)) fail(`context "${name}" already exists`);
    if (flags.changed('from') && flags.changed('docker')) fail('cannot use --docker flag when --from is set');
    let endpoint: EndpointSpec;
    let description = flags.string('description');
    if (flags.changed('docker')) {
      try {
        endpoint = endpointFromFlag(ctx, parseStringToString(flags.string('docker')));
      } catch (err) {
        fail(`unable to create docker endpoint config: ${(err as Error).message}`);
      }
    } else {
      // Without --docker the new context copies --from, or the current one (DOCKER_HOST based by default).
      let source: string;
      try {
        source = flags.string('from') || ctx.config.currentContextName();
      } catch (err) {
        fail((err as Error).message);
      }
      try {
        const from = endpointOf(ctx, source!);
        endpoint = from;
        if (!flags.changed('description')) description = from.description;
      } catch (err) {
        if (err instanceof ContextNotFound) fail(err.message);
        throw err;
      }
    }
    const meta: ContextMeta = {
      Name: name,
      Metadata: description ? { Description: description } : {},
      Endpoints: { docker: { Host: endpoint!.host, SkipTLSVerify: endpoint!.skipTLSVerify } },
    };
    store.create(meta, endpoint!.tls);
    ctx.stdout.write(`${name}\n`);
    ctx.stderr.write(`Successfully created context "${name}"\n`);
  },
};

interface ContextRow {
  Current: boolean;
  Description: string;
  DockerEndpoint: string;
  Error: string;
  Name: string;
}

const contextHeader = { Name: 'NAME', Description: 'DESCRIPTION', DockerEndpoint: 'DOCKER ENDPOINT', Error: 'ERROR', Current: '' };
const contextTableFormat = 'table {{.Name}}{{if .Current}} *{{end}}\t{{.Description}}\t{{.DockerEndpoint}}\t{{.Error}}';

const lsCommand: Command = {
  name: 'ls',
  usage: '[OPTIONS]',
  short: 'List contexts',
  args: noArgs,
  flags: [
    { name: 'format', kind: 'string', help: listFormatHelp },
    { name: 'quiet', short: 'q', kind: 'bool', help: 'Only show context names' },
  ],
  async run(ctx, flags) {
    const current = currentContext(ctx);
    const store = ctx.config.contexts();
    const rows: ContextRow[] = [
      { Current: current === DEFAULT_CONTEXT, Description: DEFAULT_CONTEXT_DESCRIPTION, DockerEndpoint: ctx.config.defaultEndpoint().host, Error: '', Name: DEFAULT_CONTEXT },
    ];
    for (const meta of store.list()) {
      rows.push({ Current: meta.Name === current, Description: meta.Metadata.Description ?? '', DockerEndpoint: meta.Endpoints.docker?.Host ?? '', Error: '', Name: meta.Name });
    }
    if (!rows.some((r) => r.Current)) {
      let error = '';
      try {
        store.get(current);
      } catch (err) {
        error = (err as Error).message;
      }
      rows.push({ Current: true, Description: '', DockerEndpoint: '', Error: error, Name: current });
    }
    rows.sort((a, b) => naturalCompare(a.Name, b.Name));
    const format = flags.bool('quiet') ? '{{.Name}}' : flags.string('format') || 'table';
    printRows(ctx, format, rows, contextHeader, contextTableFormat, { goType: '*formatter.clientContextContext' });
    const overriding = ctx.env.DOCKER_HOST ? 'DOCKER_HOST' : ctx.env.BERTH_HOST ? 'BERTH_HOST' : undefined;
    if (overriding) {
      ctx.stderr.write(`Warning: ${overriding} environment variable overrides the active context. To use a context, either set the global --context flag, or unset ${overriding} environment variable.\n`);
    }
  },
};

/** The default context as `context inspect` shows it: kept in memory, never on disk. */
function defaultInspect(ctx: CommandContext): ContextInspect {
  const e = endpointOf(ctx, DEFAULT_CONTEXT);
  const files = Object.keys(e.tls).sort();
  return {
    Name: DEFAULT_CONTEXT,
    Metadata: {},
    Endpoints: { docker: { Host: e.host, SkipTLSVerify: e.skipTLSVerify } },
    TLSMaterial: files.length ? { docker: files } : {},
    Storage: { MetadataPath: '<IN MEMORY>', TLSPath: '<IN MEMORY>' },
  };
}

const inspectCommand: Command = {
  name: 'inspect',
  usage: '[OPTIONS] [CONTEXT] [CONTEXT...]',
  short: 'Display detailed information on one or more contexts',
  args: minArgs(0),
  flags: [{ name: 'format', short: 'f', kind: 'string', help: inspectFormatHelp }],
  async run(ctx, flags) {
    let names = flags.args;
    if (names.length === 0) names = [currentContext(ctx)];
    await inspectAll(ctx, names, flags.string('format'), async (name) => (name === DEFAULT_CONTEXT ? defaultInspect(ctx) : ctx.config.contexts().inspect(name)), { escapeHTML: true });
  },
};

const rmCommand: Command = {
  name: 'rm',
  usage: 'CONTEXT [CONTEXT...]',
  short: 'Remove one or more contexts',
  args: minArgs(1),
  flags: [{ name: 'force', short: 'f', kind: 'bool', help: 'Force the removal of a context in use' }],
  async run(ctx, flags) {
    const current = currentContext(ctx);
    const store = ctx.config.contexts();
    await forEach(ctx, flags.args, async (name) => {
      if (name === DEFAULT_CONTEXT) throw new Error(`context "${name}" cannot be removed`);
      if (!store.exists(name)) throw new Error(`context "${name}" does not exist`);
      if (name === current && !flags.bool('force')) throw new Error(`context "${name}" is in use, set -f flag to force remove`);
      const file = ctx.config.file();
      if (file.currentContext === name) {
        file.currentContext = '';
        file.save();
      }
      store.remove(name);
    });
  },
};

const showCommand: Command = {
  name: 'show',
  usage: '',
  short: 'Print the name of the current context',
  args: noArgs,
  flags: [],
  async run(ctx) {
    try {
      ctx.stdout.write(`${ctx.config.currentContextName()}\n`);
    } catch (err) {
      fail((err as Error).message);
    }
  },
};

const useCommand: Command = {
  name: 'use',
  usage: 'CONTEXT',
  short: 'Set the current docker context',
  // cobra.ExactArgs(1), whose message differs from docker/cli's own argument checks.
  args: rangeArgs(0, Number.MAX_SAFE_INTEGER),
  flags: [],
  async run(ctx, flags) {
    if (flags.args.length !== 1) fail(`accepts 1 arg(s), received ${flags.args.length}`);
    const name = flags.args[0]!;
    if (name !== DEFAULT_CONTEXT) {
      try {
        ctx.config.contexts().get(name);
      } catch (err) {
        fail((err as Error).message);
      }
    }
    const file = ctx.config.file();
    file.currentContext = name === DEFAULT_CONTEXT ? '' : name;
    file.save();
    ctx.stdout.write(`${name}\n`);
    ctx.stderr.write(`Current context is now "${name}"\n`);
    if (name !== DEFAULT_CONTEXT && ctx.env.DOCKER_HOST) {
      ctx.stderr.write(`Warning: DOCKER_HOST environment variable overrides the active context. To use "${name}", either set the global --context flag, or unset DOCKER_HOST environment variable.\n`);
    }
  },
};

export const contextGroup: CommandGroup = {
  name: 'context',
  short: 'Manage contexts',
  commands: [createCommand, inspectCommand, lsCommand, rmCommand, showCommand, useCommand],
};
