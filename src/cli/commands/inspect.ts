// `berth inspect` and the typed `container inspect` / `image inspect`: raw API objects printed as
// an indented JSON array, or each rendered through -f/--format; unknown names fail with exit 1.

import { DaemonError } from '../client.js';
import { inspectFormatHelp, minArgs, type Command, type CommandContext } from '../command.js';
import { parseDockerTemplate, TemplateError, type Template } from '../template/index.js';
import { StatusError } from '../status-error.js';
import { cpath } from './container-path.js';
import { typedInspect } from '../api-types.js';

type Kind = 'container' | 'image' | 'network' | 'volume' | 'node' | 'service' | 'task' | 'secret' | 'config' | 'plugin';

const paths: Record<Kind, (name: string) => string> = {
  container: (n) => `${cpath(n)}/json`,
  image: (n) => `/images/${encodeURIComponent(n)}/json`,
  network: (n) => `/networks/${encodeURIComponent(n)}`,
  volume: (n) => `/volumes/${encodeURIComponent(n)}`,
  node: (n) => `/nodes/${encodeURIComponent(n)}`,
  service: (n) => `/services/${encodeURIComponent(n)}`,
  task: (n) => `/tasks/${encodeURIComponent(n)}`,
  secret: (n) => `/secrets/${encodeURIComponent(n)}`,
  config: (n) => `/configs/${encodeURIComponent(n)}`,
  plugin: (n) => `/plugins/${encodeURIComponent(n)}/json`,
};

// Swarm objects are only looked up when asked for by type, so a plain inspect of a missing name
// does not hit endpoints that fail on a node outside a swarm.
const untypedOrder: Kind[] = ['container', 'image', 'network', 'volume'];

/** An object as the daemon sent it and the kind of Go value docker/cli decodes it into first. */
export class Inspected {
  constructor(
    readonly kind: string,
    readonly raw: unknown,
  ) {}
}

async function fetchObject(ctx: CommandContext, kind: Kind, name: string, size: boolean): Promise<Inspected> {
  return new Inspected(kind, await ctx.client().json('GET', paths[kind](name), { query: kind === 'container' && size ? { size: true } : undefined }));
}

/**
 * Prints the found objects (JSON array, compact with `-f json`, or one template line each) and
 * fails on the missing ones. As docker inspect: a template that does not parse exits 64 before any
 * lookup. A template runs on the typed value of an Inspected object first (Go structs: a missing
 * map key is "<no value>") and, if that fails, on the raw JSON with missingkey=error, whose failure
 * prints an empty line and exits 1.
 */
export async function inspectAll(
  ctx: CommandContext,
  names: readonly string[],
  format: string,
  lookup: (name: string) => Promise<Inspected | unknown>,
  opts: { escapeHTML?: boolean } = {},
): Promise<void> {
  let tmpl: Template | undefined;
  if (format !== '' && format !== 'json') {
    try {
      tmpl = parseDockerTemplate(format);
    } catch (err) {
      if (err instanceof TemplateError) throw new StatusError(`template parsing error: ${err.message}`, 64);
      throw err;
    }
  }
  const found: unknown[] = [];
  const errors: string[] = [];
  let out = '';
  for (const name of names) {
    let obj: unknown;
    try {
      obj = await lookup(name);
    } catch (err) {
      errors.push((err as Error).message);
      continue;
    }
    const raw = obj instanceof Inspected ? obj.raw : obj;
    if (!tmpl) {
      found.push(raw);
      continue;
    }
    const typed = obj instanceof Inspected ? typedInspect(obj.kind, obj.raw) : undefined;
    if (typed !== undefined) {
      try {
        out += tmpl.execute(typed) + '\n';
        continue;
      } catch (err) {
        if (!(err instanceof TemplateError)) throw err;
      }
    }
    try {
      out += tmpl.withMissingKeyError().execute(raw) + '\n';
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      errors.push(`template parsing error: ${err.message}`);
    }
  }
  if (!tmpl) {
    const json = found.length ? JSON.stringify(found, null, format === 'json' ? undefined : 4) : '[]';
    // Go's encoder escapes <, > and & (only strings can hold them, so replacing is safe).
    ctx.stdout.write((opts.escapeHTML ? json.replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`) : json) + '\n');
  }
  // Docker writes a newline even when no object gave any output.
  else ctx.stdout.write(out || '\n');
  if (errors.length) throw new StatusError(errors.join('\n'), 1);
}

const formatFlag = { name: 'format', short: 'f', kind: 'string' as const, help: inspectFormatHelp };

export const inspectCommand: Command = {
  name: 'inspect',
  usage: '[OPTIONS] NAME|ID [NAME|ID...]',
  short: 'Return low-level information on Docker objects',
  args: minArgs(1),
  flags: [
    formatFlag,
    { name: 'size', short: 's', kind: 'bool', help: 'Display total file sizes if the type is container' },
    { name: 'type', kind: 'string', help: 'Only inspect objects of the given type' },
  ],
  async run(ctx, flags) {
    const type = flags.string('type');
    if (type !== '' && !(type in paths)) throw new StatusError(`"${type}" is not a valid value for --type`, 1);
    const kinds = type ? [type as Kind] : untypedOrder;
    await inspectAll(ctx, flags.args, flags.string('format'), async (name) => {
      // With --type the daemon's own "not found" answer is the error, as docker prints it.
      if (type) return fetchObject(ctx, type as Kind, name, flags.bool('size'));
      for (const kind of kinds) {
        try {
          return await fetchObject(ctx, kind, name, flags.bool('size'));
        } catch (err) {
          if (!(err instanceof DaemonError) || err.statusCode !== 404) throw err;
        }
      }
      throw new Error(type ? `Error: No such ${type}: ${name}` : `Error: No such object: ${name}`);
    });
  },
};

export const containerInspectCommand: Command = {
  name: 'inspect',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Display detailed information on one or more containers',
  args: minArgs(1),
  flags: [formatFlag, { name: 'size', short: 's', kind: 'bool', help: 'Display total file sizes' }],
  async run(ctx, flags) {
    await inspectAll(ctx, flags.args, flags.string('format'), (name) => fetchObject(ctx, 'container', name, flags.bool('size')));
  },
};

export const imageInspectCommand: Command = {
  name: 'inspect',
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  short: 'Display detailed information on one or more images',
  args: minArgs(1),
  flags: [formatFlag, { name: 'platform', kind: 'string', help: 'Inspect a specific platform of the multi-platform image.' }],
  async run(ctx, flags) {
    await inspectAll(ctx, flags.args, flags.string('format'), (name) => fetchObject(ctx, 'image', name, false));
  },
};
