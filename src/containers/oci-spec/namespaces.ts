// Which namespaces a container gets from its --network/--ipc/--pid/--uts modes: private ones are
// created (or, for the network, joined at the path the daemon made), `container:<id>` ones joined
// at the path the caller resolved, and host ones left out. Cgroup namespaces follow Docker:
// private on cgroup v2, the host's on v1 and hybrid hosts.
import { InvalidParameter } from '../../lib/errors.js';
import type { HostConfig, NamespaceKind, OciNamespace, SpecContext } from './types.js';

export type ModeKind = 'private' | 'host' | 'container' | 'none' | 'shareable';

export interface NamespaceModes {
  net: ModeKind;
  ipc: ModeKind;
  pid: ModeKind;
  uts: ModeKind;
}

function containerRef(mode: string): boolean {
  return mode.startsWith('container:') && mode.length > 'container:'.length;
}

export function namespaceModes(hc: HostConfig): NamespaceModes {
  const net = hc.NetworkMode ?? '';
  const ipc = hc.IpcMode ?? '';
  const pid = hc.PidMode ?? '';
  const uts = hc.UTSMode ?? '';
  const netMode: ModeKind = net === 'host' ? 'host' : containerRef(net) ? 'container' : net === 'none' ? 'none' : 'private';
  if (net.startsWith('container:') && !containerRef(net)) {
    throw new InvalidParameter(`invalid network mode: ${net}`);
  }
  let ipcMode: ModeKind;
  if (ipc === '' || ipc === 'private') ipcMode = 'private';
  else if (ipc === 'shareable') ipcMode = 'shareable';
  else if (ipc === 'none') ipcMode = 'none';
  else if (ipc === 'host') ipcMode = 'host';
  else if (containerRef(ipc)) ipcMode = 'container';
  else throw new InvalidParameter(`invalid IPC mode: ${ipc}`);
  let pidMode: ModeKind;
  if (pid === '') pidMode = 'private';
  else if (pid === 'host') pidMode = 'host';
  else if (containerRef(pid)) pidMode = 'container';
  else throw new InvalidParameter(`invalid PID mode: ${pid}`);
  let utsMode: ModeKind;
  if (uts === '') utsMode = 'private';
  else if (uts === 'host') utsMode = 'host';
  else throw new InvalidParameter(`invalid UTS mode: ${uts}`);
  return { net: netMode, ipc: ipcMode, pid: pidMode, uts: utsMode };
}

const OCI_TYPE: Record<NamespaceKind, OciNamespace['type']> = {
  net: 'network',
  ipc: 'ipc',
  pid: 'pid',
  uts: 'uts',
};

/** True when the container shares the host's namespace of this kind. */
export function isHostNamespace(kind: NamespaceKind, modes: NamespaceModes, ctx: SpecContext): boolean {
  return modes[kind] === 'host' || (ctx.hostNamespaces?.has(kind) ?? false);
}

export function buildNamespaces(modes: NamespaceModes, ctx: SpecContext, cgroupNs: boolean): OciNamespace[] {
  // Docker's order: mount, network, uts, pid, ipc.
  const out: OciNamespace[] = [{ type: 'mount' }];
  for (const kind of ['net', 'uts', 'pid', 'ipc'] as const) {
    if (isHostNamespace(kind, modes, ctx)) continue;
    const path = ctx.nsPaths?.[kind];
    if (modes[kind] === 'container' && !path) {
      throw new InvalidParameter(`cannot join the ${kind} namespace of ${modeTarget(kind, modes)}: its path was not resolved`);
    }
    out.push(path ? { type: OCI_TYPE[kind], path } : { type: OCI_TYPE[kind] });
  }
  if (cgroupNs) out.push({ type: 'cgroup' });
  if (ctx.userns) out.push(ctx.userns.path ? { type: 'user', path: ctx.userns.path } : { type: 'user' });
  return out;
}

function modeTarget(kind: NamespaceKind, modes: NamespaceModes): string {
  return `${kind} mode ${modes[kind]}`;
}
