// `berth tag`, `berth rmi` and `berth history`: an image's names and layers as docker/cli handles
// them (reference checks before the request, rmi's not-found leniency under -f, history columns).

import { exactArgs, listFormatHelp, minArgs, type Command } from '../command.js';
import { DaemonError } from '../client.js';
import { ellipsis, truncateID } from '../format.js';
import { StatusError } from '../status-error.js';
import { humanSizeWithPrecision, timeAgo } from '../units.js';
import { printRows } from './containers.js';

const ipath = (name: string): string => `/images/${encodeURIComponent(name)}`;

/**
 * A target reference split as the API takes it: repo (familiar name) and tag ("latest" if none).
 * `tag` words its errors "Error parsing reference: … is not a valid repository/tag: …", commit plainly.
 */
export function splitTarget(target: string, errorPrefix = true): { repo: string; tag: string } {
  const prefix = errorPrefix ? `Error parsing reference: ${JSON.stringify(target)} is not a valid repository/tag: ` : '';
  if (target.includes('@')) throw new StatusError('refusing to create a tag with a digest reference', 1);
  const slash = target.lastIndexOf('/');
  const colon = target.lastIndexOf(':');
  const hasTag = colon > slash;
  const repo = hasTag ? target.slice(0, colon) : target;
  const tag = hasTag ? target.slice(colon + 1) : 'latest';
  const path = repo.includes('/') && /[.:]|^localhost$/.test(repo.split('/')[0]!) ? repo.split('/').slice(1).join('/') : repo;
  if (/[A-Z]/.test(path)) {
    const normalized = repo.includes('/') ? repo : `library/${repo}`;
    throw new StatusError(`${prefix}invalid reference format: repository name (${normalized}) must be lowercase`, 1);
  }
  if (repo === '' || !/^[a-zA-Z0-9][a-zA-Z0-9._\-/:]*$/.test(repo) || !/^[\w][\w.-]{0,127}$/.test(tag)) {
    throw new StatusError(`${prefix}invalid reference format`, 1);
  }
  return { repo, tag };
}

export const tagCommand: Command = {
  name: 'tag',
  usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  short: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  args: exactArgs(2),
  flags: [],
  async run(ctx, flags) {
    const [source, target] = flags.args as [string, string];
    const { repo, tag } = splitTarget(target);
    (await ctx.client().request('POST', `${ipath(source)}/tag`, { query: { repo, tag } })).resume();
  },
};

export const rmiCommand: Command = {
  name: 'rmi',
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  short: 'Remove one or more images',
  args: minArgs(1),
  flags: [
    { name: 'force', short: 'f', kind: 'bool', help: 'Force removal of the image' },
    { name: 'no-prune', kind: 'bool', help: 'Do not delete untagged parents' },
    { name: 'platform', kind: 'list', typeName: 'strings', help: 'Remove only the given platform variant. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")' },
  ],
  async run(ctx, flags) {
    const force = flags.bool('force');
    const errors: string[] = [];
    let fatal = false;
    for (const name of flags.args) {
      try {
        const dels = await ctx.client().json<{ Untagged?: string; Deleted?: string }[]>('DELETE', ipath(name), {
          query: { force: force || undefined, noprune: flags.bool('no-prune') || undefined, platforms: flags.list('platform') },
        });
        for (const d of dels ?? []) ctx.stdout.write(d.Deleted ? `Deleted: ${d.Deleted}\n` : `Untagged: ${d.Untagged}\n`);
      } catch (err) {
        if (!(err instanceof DaemonError && err.statusCode === 404)) fatal = true;
        errors.push((err as Error).message);
      }
    }
    if (errors.length) {
      if (!force || fatal) throw new StatusError(errors.join('\n'), 1);
      ctx.stderr.write(errors.join('\n') + '\n');
    }
  },
};

interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

/** Go's time.Format(time.RFC3339) of a Unix time in the local zone. */
export function rfc3339(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const off = -d.getTimezoneOffset();
  const p = (n: number): string => String(Math.abs(n)).padStart(2, '0');
  const zone = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${p(Math.trunc(off / 60))}:${p(off % 60)}`;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}${zone}`;
}

export function historyRow(h: HistoryItem, human: boolean, trunc: boolean, now = Date.now()): Record<string, string> {
  const createdBy = h.CreatedBy.replaceAll('\t', ' ');
  const createdAt = rfc3339(h.Created);
  return {
    ID: trunc && h.Id !== '<missing>' ? truncateID(h.Id) : h.Id,
    CreatedAt: createdAt,
    CreatedSince: human ? timeAgo(h.Created, now) : createdAt,
    CreatedBy: trunc ? ellipsis(createdBy, 45) : createdBy,
    Size: human ? humanSizeWithPrecision(h.Size, 3) : String(h.Size),
    Comment: h.Comment,
  };
}

const historyHeader: Record<string, string> = {
  ID: 'IMAGE',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  CreatedBy: 'CREATED BY',
  Size: 'SIZE',
  Comment: 'COMMENT',
};
const defaultHistoryTableFormat = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';

export const historyCommand: Command = {
  name: 'history',
  usage: '[OPTIONS] IMAGE',
  short: 'Show the history of an image',
  args: exactArgs(1),
  flags: [
    { name: 'format', kind: 'string', help: listFormatHelp },
    { name: 'human', short: 'H', kind: 'bool', help: 'Print sizes and dates in human readable format', default: true },
    { name: 'no-trunc', kind: 'bool', help: "Don't truncate output" },
    { name: 'platform', kind: 'string', help: 'Show history for the given platform. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")' },
    { name: 'quiet', short: 'q', kind: 'bool', help: 'Only show image IDs' },
  ],
  async run(ctx, flags) {
    const items = await ctx.client().json<HistoryItem[]>('GET', `${ipath(flags.args[0]!)}/history`, {
      query: { platform: flags.string('platform') ? JSON.stringify(platformOf(flags.string('platform'))) : undefined },
    });
    const format = flags.bool('quiet') ? '{{.ID}}' : flags.string('format') || 'table';
    const rows = items.map((h) => historyRow(h, flags.bool('human'), !flags.bool('no-trunc')));
    const header = flags.bool('human') ? historyHeader : { ...historyHeader, CreatedSince: 'CREATED AT' };
    printRows(ctx, format, rows, header, defaultHistoryTableFormat, { goType: '*image.historyContext' });
  },
};

function platformOf(text: string): { os: string; architecture?: string; variant?: string } {
  const [os, architecture, variant] = text.split('/');
  return { os: os!, architecture, variant };
}
