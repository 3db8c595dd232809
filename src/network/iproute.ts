// The one wrapper around iproute2's `ip`: every link, address and route change goes through
// `ip -batch -` (one process for many commands), run in the host's namespace or, through
// nsenter, in a sandbox's. Also reads the host's IPv4 routes for subnet overlap checks.
import { promises as fs } from 'node:fs';
import { runChecked } from '../lib/process-spawn.js';
import { parseCidr, type Cidr } from './ipam/cidr.js';

const IP = '/usr/sbin/ip';
const NSENTER = '/usr/bin/nsenter';

/** Runs `ip` (or nsenter leading to it) with `input` on stdin; rejects with its stderr on a non-zero exit. */
function run(cmd: string, args: string[], input: string): Promise<string> {
  return runChecked(cmd, args, input, 'ip', true);
}

/** Runs `ip` commands (without the leading `ip`) in one process; in `netns` when given (a path). */
export async function ipBatch(lines: string[], netns?: string): Promise<void> {
  if (!lines.length) return;
  const input = lines.join('\n') + '\n';
  if (netns) await run(NSENTER, [`--net=${netns}`, IP, '-batch', '-'], input);
  else await run(IP, ['-batch', '-'], input);
}

/** Like ipBatch, but failures (a link already gone) are ignored: for teardown. */
export async function ipBatchForce(lines: string[]): Promise<void> {
  if (!lines.length) return;
  await run(IP, ['-force', '-batch', '-'], lines.join('\n') + '\n').catch(() => undefined);
}

/**
 * A link as `ip -d link show` reports it in the caller's namespace (sysfs shows the namespace it
 * was mounted in, which is not ours when berthd runs inside another), or undefined when absent.
 */
export async function linkDetails(name: string): Promise<{ ifname: string; link?: string; linkinfo?: { info_kind?: string } } | undefined> {
  if (!/^[A-Za-z0-9_.@:-]{1,15}$/.test(name)) return undefined;
  const out = await run(IP, ['-j', '-d', 'link', 'show', 'dev', name], '').catch(() => undefined);
  return out ? (JSON.parse(out) as { ifname: string }[])[0] : undefined;
}

export async function linkExists(name: string): Promise<boolean> {
  // /proc/sys/net follows the caller's namespace; /sys/class/net follows the one sysfs was mounted in.
  return fs.access(`/proc/sys/net/ipv4/conf/${name}`).then(() => true, () => false);
}

/** IPv4 destinations of the host's routes (connected subnets of every interface included). */
export async function hostRoutes(): Promise<Cidr[]> {
  const out = await run(IP, ['-j', '-4', 'route', 'show', 'table', 'all'], '');
  const routes = JSON.parse(out || '[]') as { dst?: string; type?: string }[];
  const cidrs: Cidr[] = [];
  for (const r of routes) {
    if (!r.dst || r.dst === 'default' || (r.type && r.type !== 'unicast')) continue;
    try {
      cidrs.push(parseCidr(r.dst.includes('/') ? r.dst : `${r.dst}/32`, true));
    } catch {
      /* not IPv4 */
    }
  }
  return cidrs;
}

export async function setSysctl(path: string, value: string): Promise<void> {
  await fs.writeFile(`/proc/sys/${path.replace(/\./g, '/')}`, value);
}
