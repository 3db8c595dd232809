// `berth top|port|diff`: what a container runs, publishes and changed, laid out as docker/cli
// prints it (top through a 20-wide tabwriter, ports sorted naturally, changes as "A /path").

import { exactArgs, minArgs, rangeArgs, type Command } from '../command.js';
import { TabWriter } from '../template/tabwriter.js';
import { StatusError } from '../status-error.js';
import { naturalCompare } from '../natural-order.js';
import { cpath } from './container-path.js';

export const topCommand: Command = {
  name: 'top',
  usage: 'CONTAINER [ps OPTIONS]',
  short: 'Display the running processes of a container',
  args: minArgs(1),
  interspersed: false,
  flags: [],
  async run(ctx, flags) {
    const [id, ...psArgs] = flags.args as [string, ...string[]];
    const r = await ctx.client().json<{ Titles: string[]; Processes: string[][] | null }>('GET', `${cpath(id)}/top`, {
      query: { ps_args: psArgs.length ? psArgs.join(' ') : undefined },
    });
    const tw = new TabWriter(20, 1, 3, ' ', 0);
    tw.write(r.Titles.join('\t') + '\n');
    for (const p of r.Processes ?? []) tw.write(p.join('\t') + '\n');
    tw.flush();
    ctx.stdout.write(tw.result());
  },
};

interface PortBinding {
  HostIp: string;
  HostPort: string;
}

const joinHostPort = (ip: string, port: string): string => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

export const portCommand: Command = {
  name: 'port',
  usage: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
  short: 'List port mappings or a specific mapping for the container',
  args: rangeArgs(1, 2),
  flags: [],
  async run(ctx, flags) {
    const [id, want] = flags.args as [string, string | undefined];
    const c = await ctx.client().json<{ NetworkSettings?: { Ports?: Record<string, PortBinding[] | null> | null } }>('GET', `${cpath(id)}/json`);
    const ports = c.NetworkSettings?.Ports ?? {};
    const out: string[] = [];
    if (want !== undefined) {
      const slash = want.indexOf('/');
      const port = slash === -1 ? want : want.slice(0, slash);
      const proto = slash === -1 || want.slice(slash + 1) === '' ? 'tcp' : want.slice(slash + 1);
      if (!/^\d+$/.test(port) || Number(port) > 65535) {
        const why = /^\d+$/.test(port) ? 'value out of range' : 'invalid syntax';
        throw new StatusError(`Error: invalid port (${port}): strconv.ParseUint: parsing "${port}": ${why}`, 1);
      }
      const frontends = ports[`${port}/${proto}`];
      if (!frontends?.length) throw new StatusError(`Error: No public port '${want}' published for ${id}`, 1);
      for (const f of frontends) out.push(joinHostPort(f.HostIp, f.HostPort));
    } else {
      for (const [from, frontends] of Object.entries(ports)) {
        for (const f of frontends ?? []) out.push(`${from} -> ${joinHostPort(f.HostIp, f.HostPort)}`);
      }
    }
    out.sort(naturalCompare);
    if (out.length) ctx.stdout.write(out.join('\n') + '\n');
  },
};

const changeKinds = ['C', 'A', 'D'];

export const diffCommand: Command = {
  name: 'diff',
  usage: 'CONTAINER',
  short: "Inspect changes to files or directories on a container's filesystem",
  args: exactArgs(1),
  flags: [],
  async run(ctx, flags) {
    const changes = await ctx.client().json<{ Kind: number; Path: string }[] | null>('GET', `${cpath(flags.args[0]!)}/changes`);
    ctx.stdout.write((changes ?? []).map((c) => `${changeKinds[c.Kind] ?? '?'} ${c.Path}\n`).join(''));
  },
};
