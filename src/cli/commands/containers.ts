// Container commands other than run/create/exec: ps, logs, rm, start, stop, kill, wait — each one
// request per container as docker/cli does, with its output lines and its error aggregation.

import { exactArgs, listFormatHelp, minArgs, noArgs, type Command, type CommandContext } from '../command.js';
import { containerHeader, containerRow, defaultContainerTableFormat, type ContainerSummary } from '../format.js';
import type { FlagSpec, ParsedFlags } from '../flags.js';
import { formatRows } from '../template/table.js';
import { asGoStruct, parseDockerTemplate, TemplateError } from '../template/index.js';
import { StatusError } from '../status-error.js';
import { parseGoDuration } from '../units.js';
import { detachKeysOf, monitorTtySize, readWaitResult, streamHijacked } from '../attach.js';
import { demultiplex } from '../stdcopy.js';
import { cpath } from './container-path.js';

/** --filter key=value pairs → the API's filters JSON ({"key":{"value":true}}). */
export function filtersJSON(values: readonly string[]): string | undefined {
  if (values.length === 0) return undefined;
  const out: Record<string, Record<string, boolean>> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq === -1) throw new StatusError(`invalid argument "${v}" for "-f, --filter" flag: bad format of filter (expected name=value)`, 125);
    const key = v.slice(0, eq).trim().toLowerCase();
    (out[key] ??= {})[v.slice(eq + 1)] = true;
  }
  return JSON.stringify(out);
}

export const filterFlag: FlagSpec = { name: 'filter', short: 'f', kind: 'list', typeName: 'filter', help: 'Filter output based on conditions provided' };

export interface PrintRowsOptions {
  /** The Go type docker's formatter gives each row, named when a template asks for a field it lacks. */
  goType?: string;
  /** ps words its template errors "failed to parse template" / "failed to execute template". */
  psErrors?: boolean;
}

/** Prints rows through --format; template errors exit 1 with docker's "template parsing error". */
export function printRows(ctx: CommandContext, format: string, rows: object[], header: Record<string, string>, defaultTable: string, opts: PrintRowsOptions = {}): void {
  // docker's formatter contexts marshal {{json .}} as a map of their fields (sorted, HTML-escaped).
  const typed = opts.goType ? rows.map((r) => asGoStruct({ ...r }, opts.goType!, { marshalsAsMap: true })) : rows;
  try {
    ctx.stdout.write(formatRows({ format, rows: typed, header, defaultTableFormat: defaultTable }));
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    if (!opts.psErrors) throw new StatusError(err.message, 1);
    const bare = err.message.replace(/^template parsing error: /, '');
    throw new StatusError(`${err.phase === 'parse' ? 'failed to parse template' : 'failed to execute template'}: ${bare}`, 1);
  }
}


const psRowType = '*formatter.ContainerContext';

/** A ps row as docker's formatter presents it to templates. */
function psRow(c: ContainerSummary, trunc: boolean): object {
  // Platform is nil unless the daemon reports the image's manifest descriptor, which berthd does not.
  return asGoStruct({ ...containerRow(c, trunc), Platform: null }, psRowType, { marshalsAsMap: true });
}

/**
 * docker ps runs --format once over an empty container before listing (to learn whether it asks
 * for .Size), so a template that cannot run on one fails first, even when no container matches.
 */
function checkPsTemplate(format: string): void {
  try {
    parseDockerTemplate(format).execute(psRow({ Id: '' }, true));
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    throw new StatusError(`${err.phase === 'parse' ? 'failed to parse template' : 'failed to execute template'}: ${err.message}`, 1);
  }
}

export const psCommand: Command = {
  name: 'ps',
  usage: '[OPTIONS]',
  short: 'List containers',
  args: noArgs,
  flags: [
    { name: 'all', short: 'a', kind: 'bool', help: 'Show all containers (default shows just running)' },
    filterFlag,
    { name: 'format', kind: 'string', help: listFormatHelp },
    { name: 'last', short: 'n', kind: 'int', help: 'Show n last created containers (includes all states)', default: -1 },
    { name: 'latest', short: 'l', kind: 'bool', help: 'Show the latest created container (includes all states)' },
    { name: 'no-trunc', kind: 'bool', help: "Don't truncate output" },
    { name: 'quiet', short: 'q', kind: 'bool', help: 'Only display container IDs' },
    { name: 'size', short: 's', kind: 'bool', help: 'Display total file sizes' },
  ],
  async run(ctx, flags) {
    let last = flags.number('last');
    if (flags.bool('latest') && last === -1) last = 1;
    const quiet = flags.bool('quiet');
    // A psFormat in config.json stands in for --format (docker's precedence: flag, -q, psFormat, table).
    let format = flags.string('format') || (quiet ? '' : ctx.config.file().psFormat) || 'table';
    // docker asks for sizes when the template uses .Size, which {{json .}} does too (the bare
    // "json" format runs as plain text in that check, so it shows sizes of 0B).
    const size = flags.bool('size') || (!quiet && (/\.Size\b/.test(format) || /\bjson\s+\.\s*\}\}/.test(format)));
    const chosen = flags.string('format') || (quiet ? '' : ctx.config.file().psFormat);
    if (chosen) checkPsTemplate(chosen);
    const filters = filtersJSON(flags.list('filter'));
    const list = await ctx.client().json<ContainerSummary[]>('GET', '/containers/json', {
      query: { all: flags.bool('all') || undefined, limit: last > 0 ? last : undefined, size: size || undefined, filters },
    });
    if (quiet) format = '{{.ID}}';
    else if (format === 'table' && flags.bool('size')) format = defaultContainerTableFormat + '\t{{.Size}}';
    const rows = list.map((c) => psRow(c, !flags.bool('no-trunc')));
    printRows(ctx, format, rows, containerHeader, defaultContainerTableFormat, { psErrors: true });
  },
};

/** timetypes.GetTimestamp: a Go duration counts back from now; dates become "secs.nanos". */
export function logTimestamp(value: string, now = Date.now()): string {
  if (value !== '0') {
    try {
      const ns = parseGoDuration(value);
      return String(Math.trunc((now - ns / 1e6) / 1000));
    } catch {
      // Not a duration: a date or a Unix timestamp.
    }
  }
  if (/^\d+(\.\d{1,9})?$/.test(value)) return value;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    if (value.includes('-')) throw new Error(`parsing time ${JSON.stringify(value)}: cannot parse as RFC 3339`);
    throw new Error(`failed to parse value as time or duration: ${JSON.stringify(value)}`);
  }
  const frac = /\.(\d{1,9})/.exec(value)?.[1] ?? '';
  const secs = Math.floor(ms / 1000);
  return `${secs}.${frac.padEnd(9, '0')}`;
}

/** --since and --until of logs and events as the API takes them; a bad value exits 1. */
export function sinceUntil(flags: ParsedFlags): { since?: string; until?: string } {
  try {
    return {
      since: flags.string('since') ? logTimestamp(flags.string('since')) : undefined,
      until: flags.string('until') ? logTimestamp(flags.string('until')) : undefined,
    };
  } catch (err) {
    throw new StatusError((err as Error).message, 1);
  }
}

export const logsCommand: Command = {
  name: 'logs',
  usage: '[OPTIONS] CONTAINER',
  short: 'Fetch the logs of a container',
  args: exactArgs(1),
  flags: [
    { name: 'details', kind: 'bool', help: 'Show extra details provided to logs' },
    { name: 'follow', short: 'f', kind: 'bool', help: 'Follow log output' },
    { name: 'since', kind: 'string', help: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
    { name: 'tail', short: 'n', kind: 'string', help: 'Number of lines to show from the end of the logs', default: 'all' },
    { name: 'timestamps', short: 't', kind: 'bool', help: 'Show timestamps' },
    { name: 'until', kind: 'string', help: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
  ],
  async run(ctx, flags) {
    const id = flags.args[0]!;
    const client = ctx.client();
    const info = await client.json<{ Config?: { Tty?: boolean } }>('GET', `${cpath(id)}/json`);
    const { since, until } = sinceUntil(flags);
    const res = await client.request('GET', `${cpath(id)}/logs`, {
      query: {
        stdout: true,
        stderr: true,
        since,
        until,
        timestamps: flags.bool('timestamps') || undefined,
        follow: flags.bool('follow') || undefined,
        tail: flags.string('tail'),
        details: flags.bool('details') || undefined,
      },
    });
    if (info.Config?.Tty) {
      for await (const chunk of res) ctx.stdout.write(chunk as Buffer);
    } else {
      await demultiplex(res, ctx.stdout, ctx.stderr);
    }
  },
};

/** Runs op for each name in order; prints successes, gathers failures into one exit-1 error. */
export async function forEach(ctx: CommandContext, names: readonly string[], op: (name: string) => Promise<string | void>): Promise<void> {
  const errors: string[] = [];
  for (const name of names) {
    try {
      const out = await op(name);
      ctx.stdout.write((out ?? name) + '\n');
    } catch (err) {
      if (err instanceof SkipError) continue;
      errors.push((err as Error).message);
    }
  }
  if (errors.length) throw new StatusError(errors.join('\n'), 1);
}

/** A failure already reported on stderr that must not fail the command (rm -f of a missing one). */
export class SkipError extends Error {}

export const rmCommand: Command = {
  name: 'rm',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Remove one or more containers',
  args: minArgs(1),
  flags: [
    { name: 'force', short: 'f', kind: 'bool', help: 'Force the removal of a running container (uses SIGKILL)' },
    { name: 'link', short: 'l', kind: 'bool', help: 'Remove the specified link' },
    { name: 'volumes', short: 'v', kind: 'bool', help: 'Remove anonymous volumes associated with the container' },
  ],
  async run(ctx, flags) {
    const force = flags.bool('force');
    await forEach(ctx, flags.args, async (name) => {
      const id = name.replace(/^\/+|\/+$/g, '');
      if (id === '') throw new Error('Container name cannot be empty');
      try {
        const res = await ctx.client().request('DELETE', cpath(id), {
          query: { v: flags.bool('volumes') || undefined, link: flags.bool('link') || undefined, force: force || undefined },
        });
        res.resume();
      } catch (err) {
        if (force && (err as { statusCode?: number }).statusCode === 404) {
          ctx.stderr.write((err as Error).message + '\n');
          throw new SkipError();
        }
        throw err;
      }
    });
  },
};

/** The flags stop and restart share: the signal to stop with and the grace period before SIGKILL. */
export const stopFlags: FlagSpec[] = [
  { name: 'signal', short: 's', kind: 'string', help: 'Signal to send to the container' },
  { name: 'time', kind: 'int', help: 'Seconds to wait before killing the container (deprecated: use --timeout)', hidden: true, aliasOf: 'timeout' },
  { name: 'timeout', short: 't', kind: 'int', help: 'Seconds to wait before killing the container' },
];

/** stopFlags as the stop and restart endpoints take them: unset ones are left to the container's own settings. */
export function stopQuery(flags: ParsedFlags): { t?: number; signal?: string } {
  return { t: flags.changed('timeout') ? flags.number('timeout') : undefined, signal: flags.string('signal') || undefined };
}

export const stopCommand: Command = {
  name: 'stop',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Stop one or more running containers',
  args: minArgs(1),
  flags: stopFlags,
  async run(ctx, flags) {
    await forEach(ctx, flags.args, async (name) => {
      (await ctx.client().request('POST', `${cpath(name)}/stop`, { query: stopQuery(flags) })).resume();
    });
  },
};

export const killCommand: Command = {
  name: 'kill',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Kill one or more running containers',
  args: minArgs(1),
  flags: [{ name: 'signal', short: 's', kind: 'string', help: 'Signal to send to the container' }],
  async run(ctx, flags) {
    await forEach(ctx, flags.args, async (name) => {
      const res = await ctx.client().request('POST', `${cpath(name)}/kill`, { query: { signal: flags.string('signal') || undefined } });
      res.resume();
    });
  },
};

export const waitCommand: Command = {
  name: 'wait',
  usage: 'CONTAINER [CONTAINER...]',
  short: 'Block until one or more containers stop, then print their exit codes',
  args: minArgs(1),
  flags: [],
  async run(ctx, flags) {
    await forEach(ctx, flags.args, async (name) => {
      const r = await ctx.client().json<{ StatusCode: number; Error?: { Message?: string } | null }>('POST', `${cpath(name)}/wait`, {
        query: { condition: 'not-running' },
      });
      if (r.Error?.Message) throw new Error(r.Error.Message);
      return String(r.StatusCode);
    });
  },
};

export const startCommand: Command = {
  name: 'start',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Start one or more stopped containers',
  args: minArgs(1),
  flags: [
    { name: 'attach', short: 'a', kind: 'bool', help: 'Attach STDOUT/STDERR and forward signals' },
    { name: 'checkpoint', kind: 'string', help: 'Restore from this checkpoint', hidden: true },
    { name: 'checkpoint-dir', kind: 'string', help: 'Use a custom checkpoint storage directory', hidden: true },
    { name: 'detach-keys', kind: 'string', help: 'Override the key sequence for detaching a container' },
    { name: 'interactive', short: 'i', kind: 'bool', help: "Attach container's STDIN" },
  ],
  async run(ctx, flags) {
    const client = ctx.client();
    const attach = flags.bool('attach') || flags.bool('interactive');
    if (attach) {
      if (flags.args.length > 1) throw new StatusError('you cannot start and attach multiple containers at once', 1);
      const name = flags.args[0]!;
      const info = await client.json<{ Id: string; Config: { Tty: boolean; OpenStdin: boolean } }>('GET', `${cpath(name)}/json`);
      const tty = info.Config.Tty;
      const stdin = flags.bool('interactive') && info.Config.OpenStdin;
      if (tty && stdin && !ctx.stdin.isTTY) throw new StatusError('the input device is not a TTY', 1);
      const detachKeys = detachKeysOf(ctx, flags.string('detach-keys'));
      const socket = await client.hijack('POST', `${cpath(info.Id)}/attach`, {
        query: { stream: true, stdin, stdout: true, stderr: true, detachKeys: detachKeys.requested },
      });
      const session = streamHijacked(ctx, socket, { tty, attachStdin: stdin, attachStdout: true, attachStderr: true, detachKeys: detachKeys.keys });
      session.catch(() => {});
      const { response } = await client.begin('POST', `${cpath(info.Id)}/wait`, { query: { condition: 'next-exit' } });
      response.catch(() => {});
      const started = await client.request('POST', `${cpath(info.Id)}/start`, {
        query: { checkpoint: flags.string('checkpoint') || undefined, 'checkpoint-dir': flags.string('checkpoint-dir') || undefined },
      });
      started.resume();
      const stopResize = tty ? monitorTtySize(ctx, `${cpath(info.Id)}/resize`) : () => {};
      try {
        const how = await session;
        if (how === 'detached') return 0;
        return (await readWaitResult(await response)).StatusCode ?? 0;
      } finally {
        stopResize();
      }
    }
    const failed: string[] = [];
    for (const name of flags.args) {
      try {
        const res = await client.request('POST', `${cpath(name)}/start`, {
          query: { checkpoint: flags.string('checkpoint') || undefined, 'checkpoint-dir': flags.string('checkpoint-dir') || undefined },
        });
        res.resume();
        ctx.stdout.write(name + '\n');
      } catch (err) {
        ctx.stderr.write((err as Error).message + '\n');
        failed.push(name);
      }
    }
    if (failed.length) throw new StatusError(`Error: failed to start containers: ${failed.join(', ')}`, 1);
  },
};
