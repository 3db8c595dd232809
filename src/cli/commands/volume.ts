// `berth volume create|ls|inspect|rm|prune`: docker/cli's volume commands over /volumes, with its
// table columns, filters, error aggregation and prune confirmation.

import { inspectFormatHelp, listFormatHelp, minArgs, noArgs, rangeArgs, type Command, type CommandGroup } from '../command.js';
import { confirm } from '../prompt.js';
import { Inspected, inspectAll } from './inspect.js';
import { StatusError } from '../status-error.js';
import { humanSize } from '../units.js';
import { filterFlag, filtersJSON, forEach, printRows } from './containers.js';

/** A volume as GET /volumes and GET /system/df return it. */
export interface ApiVolume {
  Name: string;
  Driver: string;
  Scope: string;
  Mountpoint: string;
  Labels: Record<string, string> | null;
  UsageData?: { Size: number; RefCount: number };
}

const vpath = (name: string): string => `/volumes/${encodeURIComponent(name)}`;

export const volumeHeader: Record<string, string> = {
  Name: 'VOLUME NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  Mountpoint: 'MOUNTPOINT',
  Labels: 'LABELS',
  Links: 'LINKS',
  Size: 'SIZE',
};
export const defaultVolumeTableFormat = 'table {{.Driver}}\t{{.Name}}';

/** One `volume ls` row with docker/cli's field names. */
export function volumeRow(v: ApiVolume): Record<string, string> {
  const labels = Object.entries(v.Labels ?? {}).map(([k, val]) => `${k}=${val}`);
  return {
    Name: v.Name,
    Driver: v.Driver,
    Scope: v.Scope,
    Mountpoint: v.Mountpoint,
    Labels: labels.join(','),
    Links: v.UsageData ? String(v.UsageData.RefCount) : 'N/A',
    Size: v.UsageData && v.UsageData.Size >= 0 ? humanSize(v.UsageData.Size) : 'N/A',
  };
}

const createCommand: Command = {
  name: 'create',
  usage: '[OPTIONS] [VOLUME]',
  short: 'Create a volume',
  args: rangeArgs(0, 1),
  flags: [
    { name: 'driver', short: 'd', kind: 'string', help: 'Specify volume driver name', default: 'local' },
    { name: 'label', kind: 'list', help: 'Set metadata for a volume' },
    { name: 'name', kind: 'string', help: 'Specify volume name', hidden: true },
    { name: 'opt', short: 'o', kind: 'map', help: 'Set driver specific options', defaultText: 'map[]' },
  ],
  async run(ctx, flags) {
    const name = flags.args[0] ?? flags.string('name');
    if (flags.args[0] && flags.string('name') && flags.string('name') !== flags.args[0]) {
      throw new StatusError(`conflicting options: cannot specify a volume-name through both --name and as a positional arg`, 1);
    }
    const labels: Record<string, string> = {};
    for (const l of flags.list('label')) {
      const eq = l.indexOf('=');
      if (eq < 0) labels[l] = '';
      else labels[l.slice(0, eq)] = l.slice(eq + 1);
    }
    const v = await ctx.client().json<ApiVolume>('POST', '/volumes/create', {
      body: { Name: name, Driver: flags.string('driver') || 'local', DriverOpts: flags.map('opt'), Labels: labels },
    });
    ctx.stdout.write(v.Name + '\n');
  },
};

const lsCommand: Command = {
  name: 'ls',
  usage: '[OPTIONS]',
  short: 'List volumes',
  args: noArgs,
  flags: [
    { name: 'cluster', kind: 'bool', help: 'Display only cluster volumes, and use cluster volume list formatting', hidden: true },
    { ...filterFlag, help: 'Provide filter values (e.g. "dangling=true")' },
    { name: 'format', kind: 'string', help: listFormatHelp },
    { name: 'quiet', short: 'q', kind: 'bool', help: 'Only display volume names' },
  ],
  async run(ctx, flags) {
    const res = await ctx.client().json<{ Volumes: ApiVolume[] | null }>('GET', '/volumes', { query: { filters: filtersJSON(flags.list('filter')) } });
    const list = [...(res.Volumes ?? [])].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
    const format = flags.bool('quiet') ? '{{.Name}}' : flags.string('format') || 'table';
    printRows(ctx, format, list.map(volumeRow), volumeHeader, defaultVolumeTableFormat, { goType: '*formatter.volumeContext' });
  },
};

const inspectCommand: Command = {
  name: 'inspect',
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  short: 'Display detailed information on one or more volumes',
  args: minArgs(1),
  flags: [{ name: 'format', short: 'f', kind: 'string', help: inspectFormatHelp }],
  async run(ctx, flags) {
    await inspectAll(ctx, flags.args, flags.string('format'), async (name) => new Inspected('volume', await ctx.client().json('GET', vpath(name))));
  },
};

const rmCommand: Command = {
  name: 'rm',
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  short: 'Remove one or more volumes',
  args: minArgs(1),
  flags: [{ name: 'force', short: 'f', kind: 'bool', help: 'Force the removal of one or more volumes' }],
  async run(ctx, flags) {
    await forEach(ctx, flags.args, async (name) => {
      (await ctx.client().request('DELETE', vpath(name), { query: { force: flags.bool('force') || undefined } })).resume();
    });
  },
};

const pruneCommand: Command = {
  name: 'prune',
  usage: '[OPTIONS]',
  short: 'Remove unused local volumes',
  args: noArgs,
  flags: [
    { name: 'all', short: 'a', kind: 'bool', help: 'Remove all unused volumes, not just anonymous ones' },
    { name: 'filter', kind: 'list', typeName: 'filter', help: `Provide filter values (e.g. "label=<label>")` },
    { name: 'force', short: 'f', kind: 'bool', help: 'Do not prompt for confirmation' },
  ],
  async run(ctx, flags) {
    const all = flags.bool('all');
    const filters = [...flags.list('filter')];
    if (all) {
      if (filters.some((f) => f.startsWith('all='))) throw new StatusError('conflicting options: cannot specify both --all and --filter all=1', 1);
      filters.push('all=true');
    }
    const warning = all
      ? 'WARNING! This will remove all local volumes not used by at least one container.'
      : 'WARNING! This will remove anonymous local volumes not used by at least one container.';
    if (!flags.bool('force')) {
      ctx.stdout.write(warning + '\n');
      if (!(await confirm(ctx, 'Are you sure you want to continue?'))) return;
    }
    const r = await ctx.client().json<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }>('POST', '/volumes/prune', {
      query: { filters: filtersJSON(filters) },
    });
    let out = '';
    if (r.VolumesDeleted?.length) out += 'Deleted Volumes:\n' + r.VolumesDeleted.map((n) => n + '\n').join('') + '\n';
    out += `Total reclaimed space: ${humanSize(r.SpaceReclaimed)}\n`;
    ctx.stdout.write(out);
  },
};

export const volumeGroup: CommandGroup = {
  name: 'volume',
  short: 'Manage volumes',
  commands: [createCommand, inspectCommand, lsCommand, pruneCommand, rmCommand],
};

