// `container prune`, `image prune` and `system prune`: docker/cli's warnings, confirmation, the
// "Deleted …" sections and "Total reclaimed space". system prune runs the others in Docker's order
// (containers, networks, volumes with --volumes, images, build cache) and stops at the first error.

import { noArgs, type Command, type CommandContext } from '../command.js';
import { confirm } from '../prompt.js';
import { StatusError } from '../status-error.js';
import { humanSize } from '../units.js';
import { filtersJSON } from './containers.js';
import { pruneFilterFlag, pruneForceFlag, pruneNetworks } from './network.js';

interface Pruned {
  space: number;
  output: string;
}

async function pruneContainers(ctx: CommandContext, filters: readonly string[]): Promise<Pruned> {
  const r = await ctx.client().json<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }>('POST', '/containers/prune', {
    query: { filters: filtersJSON(filters) },
  });
  const output = r.ContainersDeleted?.length ? 'Deleted Containers:\n' + r.ContainersDeleted.map((c) => c + '\n').join('') : '';
  return { space: r.SpaceReclaimed ?? 0, output };
}

async function pruneImages(ctx: CommandContext, all: boolean, filters: readonly string[]): Promise<Pruned> {
  const r = await ctx.client().json<{ ImagesDeleted: { Untagged?: string; Deleted?: string }[] | null; SpaceReclaimed: number }>('POST', '/images/prune', {
    query: { filters: filtersJSON([...filters, `dangling=${!all}`]) },
  });
  let output = '';
  if (r.ImagesDeleted?.length) {
    output = 'Deleted Images:\n' + r.ImagesDeleted.map((d) => (d.Untagged ? `untagged: ${d.Untagged}\n` : `deleted: ${d.Deleted}\n`)).join('');
  }
  return { space: r.SpaceReclaimed ?? 0, output };
}

async function pruneVolumes(ctx: CommandContext, all: boolean, filters: readonly string[]): Promise<Pruned> {
  const r = await ctx.client().json<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }>('POST', '/volumes/prune', {
    query: { filters: filtersJSON(all ? [...filters, 'all=true'] : filters) },
  });
  const output = r.VolumesDeleted?.length ? 'Deleted Volumes:\n' + r.VolumesDeleted.map((v) => v + '\n').join('') : '';
  return { space: r.SpaceReclaimed ?? 0, output };
}

async function pruneBuildCache(ctx: CommandContext, all: boolean, filters: readonly string[]): Promise<Pruned> {
  const r = await ctx.client().json<{ CachesDeleted: string[] | null; SpaceReclaimed: number }>('POST', '/build/prune', {
    query: { all: all || undefined, filters: filtersJSON(filters) },
  });
  const output = r.CachesDeleted?.length ? 'Deleted build cache objects:\n' + r.CachesDeleted.map((c) => c + '\n').join('') : '';
  return { space: r.SpaceReclaimed ?? 0, output };
}

/** Prints one prune's sections and total as the single-kind prune commands do. */
function report(ctx: CommandContext, p: Pruned): void {
  if (p.output) ctx.stdout.write(p.output + '\n');
  ctx.stdout.write(`Total reclaimed space: ${humanSize(p.space)}\n`);
}

export const containerPruneCommand: Command = {
  name: 'prune',
  usage: '[OPTIONS]',
  short: 'Remove all stopped containers',
  args: noArgs,
  flags: [pruneFilterFlag, pruneForceFlag],
  async run(ctx, flags) {
    if (!flags.bool('force')) {
      ctx.stdout.write('WARNING! This will remove all stopped containers.\n');
      if (!(await confirm(ctx))) return;
    }
    report(ctx, await pruneContainers(ctx, flags.list('filter')));
  },
};

export const imagePruneCommand: Command = {
  name: 'prune',
  usage: '[OPTIONS]',
  short: 'Remove unused images',
  args: noArgs,
  flags: [{ name: 'all', short: 'a', kind: 'bool', help: 'Remove all unused images, not just dangling ones' }, pruneFilterFlag, pruneForceFlag],
  async run(ctx, flags) {
    const all = flags.bool('all');
    if (!flags.bool('force')) {
      ctx.stdout.write(
        all ? 'WARNING! This will remove all images without at least one container associated to them.\n' : 'WARNING! This will remove all dangling images.\n',
      );
      if (!(await confirm(ctx))) return;
    }
    report(ctx, await pruneImages(ctx, all, flags.list('filter')));
  },
};

export const systemPruneCommand: Command = {
  name: 'prune',
  usage: '[OPTIONS]',
  short: 'Remove unused data',
  args: noArgs,
  flags: [
    { name: 'all', short: 'a', kind: 'bool', help: 'Remove all unused images not just dangling ones' },
    { name: 'filter', kind: 'list', typeName: 'filter', help: 'Provide filter values (e.g. "label=<key>=<value>")' },
    pruneForceFlag,
    { name: 'volumes', kind: 'bool', help: 'Prune anonymous volumes' },
  ],
  async run(ctx, flags) {
    const all = flags.bool('all');
    const volumes = flags.bool('volumes');
    const filters = flags.list('filter');
    if (filters.some((f) => f.startsWith('until=')) && volumes) {
      throw new StatusError(`ERROR: The "until" filter is not supported with "--volumes"`, 1);
    }
    if (!flags.bool('force')) {
      const items = [
        'all stopped containers',
        'all networks not used by at least one container',
        ...(volumes ? ['all anonymous volumes not used by at least one container'] : []),
        all ? 'all images without at least one container associated to them' : 'all dangling images',
        all ? 'all build cache' : 'unused build cache',
      ];
      let warning = 'WARNING! This will remove:\n' + items.map((i) => `  - ${i}\n`).join('');
      if (filters.length) warning += '\n  Items to be pruned will be filtered with:\n' + filters.map((f) => `  - ${f}\n`).join('');
      ctx.stdout.write(warning + '\n');
      if (!(await confirm(ctx))) return;
    }
    const steps: (() => Promise<Pruned>)[] = [
      () => pruneContainers(ctx, filters),
      async () => ({ space: 0, output: await pruneNetworks(ctx, filters) }),
      ...(volumes ? [() => pruneVolumes(ctx, false, filters)] : []),
      () => pruneImages(ctx, all, filters),
      () => pruneBuildCache(ctx, all, filters),
    ];
    let space = 0;
    for (const step of steps) {
      const p = await step();
      space += p.space;
      if (p.output) ctx.stdout.write(p.output + '\n');
    }
    ctx.stdout.write(`Total reclaimed space: ${humanSize(space)}\n`);
  },
};
