// `berth events` / `system events`: the daemon's event stream printed as docker/cli prints it
// ("TIME TYPE ACTION ID (k=v, …)" with nanosecond times) or through --format, until --until or ^C.

import type { Readable } from 'node:stream';
import { ndjsonLines } from '../client.js';
import { inspectFormatHelp, noArgs, type Command } from '../command.js';
import { parseDockerTemplate, TemplateError, type Template } from '../template/index.js';
import { StatusError } from '../status-error.js';
import { filterFlag, filtersJSON, sinceUntil } from './containers.js';

interface EventMessage {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

/**
 * The event stream, one object per line. timeNano exceeds a double's 53 bits, so its exact digits
 * are taken from the text (Go reads them as an int64).
 */
async function* events(stream: Readable): AsyncGenerator<{ event: EventMessage; nanos?: bigint }> {
  for await (const line of ndjsonLines(stream)) {
    const nano = /"timeNano"\s*:\s*(\d+)/.exec(line)?.[1];
    yield { event: JSON.parse(line) as EventMessage, nanos: nano ? BigInt(nano) : undefined };
  }
}

/** jsonmessage.RFC3339NanoFixed ("2006-01-02T15:04:05.000000000Z07:00") of nanoseconds since the epoch. */
export function rfc3339NanoFixed(ns: bigint): string {
  const secs = ns / 1_000_000_000n;
  const frac = String(ns % 1_000_000_000n).padStart(9, '0');
  const d = new Date(Number(secs) * 1000);
  const off = -d.getTimezoneOffset();
  const p = (n: number): string => String(Math.abs(n)).padStart(2, '0');
  const zone = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${p(Math.trunc(off / 60))}:${p(off % 60)}`;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${frac}${zone}`;
}

export function prettyEvent(e: EventMessage, nanos?: bigint): string {
  let out = '';
  if (nanos) out += rfc3339NanoFixed(nanos) + ' ';
  else if (e.timeNano) out += rfc3339NanoFixed(BigInt(e.timeNano)) + ' ';
  else if (e.time) out += rfc3339NanoFixed(BigInt(e.time) * 1_000_000_000n) + ' ';
  out += `${e.Type ?? ''} ${e.Action ?? ''} ${e.Actor?.ID ?? ''}`;
  const attrs = Object.keys(e.Actor?.Attributes ?? {}).sort();
  if (attrs.length) out += ` (${attrs.map((k) => `${k}=${e.Actor!.Attributes![k]}`).join(', ')})`;
  return out + '\n';
}

export const eventsCommand: Command = {
  name: 'events',
  usage: '[OPTIONS]',
  short: 'Get real time events from the server',
  args: noArgs,
  flags: [
    filterFlag,
    { name: 'format', kind: 'string', help: inspectFormatHelp },
    { name: 'since', kind: 'string', help: 'Show all events created since timestamp' },
    { name: 'until', kind: 'string', help: 'Stream events until this timestamp' },
  ],
  async run(ctx, flags) {
    let tmpl: Template | undefined;
    const format = flags.string('format');
    if (format) {
      try {
        tmpl = parseDockerTemplate(format === 'json' ? '{{json .}}' : format);
      } catch (err) {
        if (err instanceof TemplateError) throw new StatusError(`Error parsing format: ${err.message}`, 64);
        throw err;
      }
    }
    const { since, until } = sinceUntil(flags);
    const res = await ctx.client().request('GET', '/events', { query: { since, until, filters: filtersJSON(flags.list('filter')) } });
    for await (const { event: e, nanos } of events(res)) {
      if (!tmpl) {
        ctx.stdout.write(prettyEvent(e, nanos));
        continue;
      }
      try {
        ctx.stdout.write(tmpl.execute(e) + '\n');
      } catch (err) {
        if (err instanceof TemplateError) throw new StatusError(`Error parsing format: ${err.message}`, 64);
        throw err;
      }
    }
  },
};
