// `berth system df`: GET /system/df summarized as docker/cli's disk-usage table (TYPE, TOTAL,
// ACTIVE, SIZE, RECLAIMABLE with Go's integer percentages), --format rows, and -v's detail tables.

import { listFormatHelp, noArgs, type Command, type CommandContext } from '../command.js';
import { containerHeader, containerRow, imageHeader, imageRows, truncateID, type ContainerSummary, type ImageSummary } from '../format.js';
import { humanSize, timeAgo } from '../units.js';
import { printRows } from './containers.js';
import { volumeHeader, volumeRow, type ApiVolume } from './volume.js';
import { formatRows } from '../template/table.js';

interface DfBuildCache {
  ID: string;
  Parents?: string[] | null;
  Type: string;
  Description?: string;
  InUse: boolean;
  Shared: boolean;
  Size: number;
  CreatedAt: string;
  LastUsedAt?: string | null;
  UsageCount: number;
}

export interface DiskUsage {
  LayersSize?: number;
  Images?: (ImageSummary & { VirtualSize?: number })[] | null;
  Containers?: ContainerSummary[] | null;
  Volumes?: ApiVolume[] | null;
  BuildCache?: DfBuildCache[] | null;
}

const isActive = (state: string): boolean => ['running', 'paused', 'restarting'].some((s) => state.includes(s));

/** "<size> (<pct>%)" with Go's integer division, or just the size when the total is 0. */
function withPercent(reclaimable: number, total: number): string {
  return total > 0 ? `${humanSize(reclaimable)} (${Math.trunc((reclaimable * 100) / total)}%)` : humanSize(reclaimable);
}

/** The four summary rows, field by field as docker/cli's diskUsage*Context compute them. */
export function summaryRows(du: DiskUsage): Record<string, string>[] {
  const images = du.Images ?? [];
  const containers = du.Containers ?? [];
  const volumes = du.Volumes ?? [];
  const cache = du.BuildCache ?? [];
  const layers = du.LayersSize ?? 0;
  let usedByContainers = 0;
  for (const i of images) {
    if ((i.Containers ?? 0) === 0 || i.Size === -1 || i.SharedSize === -1) continue;
    usedByContainers += (i.Size ?? 0) - (i.SharedSize ?? 0);
  }
  const cSize = containers.reduce((n, c) => n + (c.SizeRw ?? 0), 0);
  const cReclaim = containers.filter((c) => !isActive(c.State ?? '')).reduce((n, c) => n + (c.SizeRw ?? 0), 0);
  const vSize = volumes.reduce((n, v) => n + Math.max(0, v.UsageData?.Size ?? 0), 0);
  const vReclaim = volumes.filter((v) => (v.UsageData?.RefCount ?? 0) === 0).reduce((n, v) => n + Math.max(0, v.UsageData?.Size ?? 0), 0);
  const bSize = cache.filter((b) => !b.Shared).reduce((n, b) => n + b.Size, 0);
  const bInUse = cache.filter((b) => b.InUse && !b.Shared).reduce((n, b) => n + b.Size, 0);
  return [
    {
      Type: 'Images',
      TotalCount: String(images.length),
      Active: String(images.filter((i) => (i.Containers ?? 0) > 0).length),
      Size: humanSize(layers),
      Reclaimable: withPercent(layers - usedByContainers, layers),
    },
    {
      Type: 'Containers',
      TotalCount: String(containers.length),
      Active: String(containers.filter((c) => isActive(c.State ?? '')).length),
      Size: humanSize(cSize),
      Reclaimable: withPercent(cReclaim, cSize),
    },
    {
      Type: 'Local Volumes',
      TotalCount: String(volumes.length),
      Active: String(volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length),
      Size: humanSize(vSize),
      Reclaimable: withPercent(vReclaim, vSize),
    },
    {
      Type: 'Build Cache',
      TotalCount: String(cache.length),
      Active: String(cache.filter((b) => b.InUse).length),
      Size: humanSize(bSize),
      Reclaimable: humanSize(bSize - bInUse),
    },
  ];
}

const summaryHeader = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };
const defaultSummaryFormat = 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';

function verbose(ctx: CommandContext, du: DiskUsage): void {
  const now = Date.now();
  const table = (format: string, rows: unknown[], header: Record<string, string>): string => formatRows({ format, rows, header });
  // One row per image, named by its first tag only, as docker's verbose df shows them.
  const firstTagOnly = (du.Images ?? []).map((i) => ({ ...i, RepoTags: (i.RepoTags ?? []).slice(0, 1), RepoDigests: [] }));
  const images = imageRows(firstTagOnly, { trunc: true, digests: false, formatHasDigest: false }, now).map((r) => ({ ...r, VirtualSize: r.Size }));
  const cache = (du.BuildCache ?? []).map((b) => ({
    ID: truncateID(b.ID),
    CacheType: b.Type,
    Size: humanSize(b.Size),
    CreatedSince: timeAgo(Date.parse(b.CreatedAt) / 1000, now),
    LastUsedSince: b.LastUsedAt ? timeAgo(Date.parse(b.LastUsedAt) / 1000, now) : '',
    UsageCount: String(b.UsageCount),
    Shared: String(b.Shared),
  }));
  const bSize = (du.BuildCache ?? []).filter((b) => !b.Shared).reduce((n, b) => n + b.Size, 0);
  let out = 'Images space usage:\n\n';
  out += table('table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.VirtualSize}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}', images, imageHeader);
  out += '\nContainers space usage:\n\n';
  out += table(
    'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}',
    // The verbose table shows the writable layer only, never "(virtual …)".
    (du.Containers ?? []).map((c) => containerRow({ ...c, SizeRootFs: undefined }, true, now)),
    containerHeader,
  );
  out += '\nLocal Volumes space usage:\n\n';
  out += table('table {{.Name}}\t{{.Links}}\t{{.Size}}', (du.Volumes ?? []).map(volumeRow), volumeHeader);
  out += `\nBuild cache usage: ${humanSize(bSize)}\n\n`;
  out += table('table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}', cache, {
    ID: 'CACHE ID',
    CacheType: 'CACHE TYPE',
    Size: 'SIZE',
    CreatedSince: 'CREATED',
    LastUsedSince: 'LAST USED',
    UsageCount: 'USAGE',
    Shared: 'SHARED',
  });
  ctx.stdout.write(out);
}

export const systemDfCommand: Command = {
  name: 'df',
  usage: '[OPTIONS]',
  short: 'Show docker disk usage',
  args: noArgs,
  flags: [
    { name: 'format', kind: 'string', help: listFormatHelp },
    { name: 'verbose', short: 'v', kind: 'bool', help: 'Show detailed information on space usage' },
  ],
  async run(ctx, flags) {
    const du = await ctx.client().json<DiskUsage>('GET', '/system/df');
    const format = flags.string('format');
    if (flags.bool('verbose') && !format) {
      verbose(ctx, du);
      return;
    }
    printRows(ctx, format || 'table', summaryRows(du), summaryHeader, defaultSummaryFormat, { goType: '*formatter.diskUsageImagesContext' });
  },
};
