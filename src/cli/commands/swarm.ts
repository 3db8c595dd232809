// `berth swarm|node|service …`: docker/cli's swarm-mode commands with their main flags. Each sends
// the request docker's CLI sends first; Berth's daemon has no swarm mode yet and answers as
// dockerd does on a node in no swarm (503, "This node is not a swarm manager…"), which the user
// sees as docker's CLI shows it: "Error response from daemon: …", exit 1. On success the daemon's
// answer is printed as JSON; docker's tables for these objects come with swarm mode itself.

import { exactArgs, minArgs, noArgs, type Command, type CommandGroup, type CommandContext } from '../command.js';
import type { FlagSpec, ParsedFlags } from '../flags.js';
import { StatusError } from '../status-error.js';

type Request = { method: string; path: string; body?: unknown; query?: Record<string, string> };

function swarmCommand(c: {
  name: string;
  usage: string;
  short: string;
  args: Command['args'];
  flags?: FlagSpec[];
  interspersed?: boolean;
  /** docker's inspect commands print `[]` before the error. */
  inspect?: boolean;
  /** What docker's CLI puts before the daemon's error, e.g. "could not fetch unlock key: ". */
  errorPrefix?(flags: ParsedFlags): string;
  request(flags: ParsedFlags): Request;
}): Command {
  return {
    name: c.name,
    usage: c.usage,
    short: c.short,
    args: c.args,
    flags: c.flags ?? [],
    ...(c.interspersed === false ? { interspersed: false } : {}),
    async run(ctx: CommandContext, flags: ParsedFlags) {
      const r = c.request(flags);
      let answer: unknown;
      try {
        answer = await ctx.client().json<unknown>(r.method, r.path, { body: r.body, query: r.query });
      } catch (err) {
        if (c.inspect) ctx.stdout.write('[]\n');
        if (c.errorPrefix && err instanceof Error) throw new StatusError(c.errorPrefix(flags) + err.message, 1);
        throw err;
      }
      if (answer !== undefined && answer !== null && answer !== '') ctx.stdout.write(JSON.stringify(answer, null, 4) + '\n');
    },
  };
}

const str = (name: string, help: string, short?: string): FlagSpec => ({ name, ...(short ? { short } : {}), kind: 'string', help });
const bool = (name: string, help: string, short?: string): FlagSpec => ({ name, ...(short ? { short } : {}), kind: 'bool', help });
const list = (name: string, help: string, short?: string): FlagSpec => ({ name, ...(short ? { short } : {}), kind: 'list', help });
const formatFlag = str('format', 'Format output using a custom template');
const quietFlag = bool('quiet', 'Only display IDs', 'q');
const filterFlag = list('filter', 'Filter output based on conditions provided', 'f');
const enc = encodeURIComponent;

export const swarmGroup: CommandGroup = {
  name: 'swarm',
  short: 'Manage Swarm',
  commands: [
    swarmCommand({
      name: 'init',
      usage: '[OPTIONS]',
      short: 'Initialize a swarm',
      args: noArgs,
      flags: [str('advertise-addr', 'Advertised address (format: "<ip|interface>[:port]")'), bool('autolock', 'Enable manager autolocking'), str('availability', 'Availability of the node ("active", "pause", "drain")'), str('data-path-addr', 'Address or interface to use for data path traffic'), list('default-addr-pool', 'default address pool in CIDR format'), bool('force-new-cluster', 'Force create a new cluster from current state'), str('listen-addr', 'Listen address (format: "<ip|interface>[:port]")')],
      request: (f) => ({
        method: 'POST',
        path: '/swarm/init',
        body: { ListenAddr: f.string('listen-addr') || '0.0.0.0:2377', AdvertiseAddr: f.string('advertise-addr'), DataPathAddr: f.string('data-path-addr'), ForceNewCluster: f.bool('force-new-cluster'), DefaultAddrPool: f.list('default-addr-pool'), Availability: f.string('availability') || 'active', AutoLockManagers: f.bool('autolock') },
      }),
    }),
    swarmCommand({
      name: 'join',
      usage: '[OPTIONS] HOST:PORT',
      short: 'Join a swarm as a node and/or manager',
      args: exactArgs(1),
      flags: [str('advertise-addr', 'Advertised address (format: "<ip|interface>[:port]")'), str('availability', 'Availability of the node ("active", "pause", "drain")'), str('data-path-addr', 'Address or interface to use for data path traffic'), str('listen-addr', 'Listen address (format: "<ip|interface>[:port]")'), str('token', 'Token for entry into the swarm')],
      request: (f) => ({
        method: 'POST',
        path: '/swarm/join',
        body: { ListenAddr: f.string('listen-addr') || '0.0.0.0:2377', AdvertiseAddr: f.string('advertise-addr'), DataPathAddr: f.string('data-path-addr'), RemoteAddrs: [f.args[0]], JoinToken: f.string('token'), Availability: f.string('availability') || 'active' },
      }),
    }),
    swarmCommand({ name: 'join-token', usage: '[OPTIONS] (worker|manager)', short: 'Manage join tokens', args: exactArgs(1), flags: [quietFlag, bool('rotate', 'Rotate join token')], request: () => ({ method: 'GET', path: '/swarm' }) }),
    swarmCommand({ name: 'leave', usage: '[OPTIONS]', short: 'Leave the swarm', args: noArgs, flags: [bool('force', 'Force this node to leave the swarm, ignoring warnings', 'f')], request: (f) => ({ method: 'POST', path: '/swarm/leave', query: f.bool('force') ? { force: '1' } : undefined }) }),
    swarmCommand({ name: 'unlock', usage: '', short: 'Unlock swarm', args: noArgs, request: () => ({ method: 'POST', path: '/swarm/unlock', body: { UnlockKey: '' } }) }),
    swarmCommand({ name: 'unlock-key', usage: '[OPTIONS]', short: 'Manage the unlock key', args: noArgs, errorPrefix: () => 'could not fetch unlock key: ', flags: [quietFlag, bool('rotate', 'Rotate unlock key')], request: () => ({ method: 'GET', path: '/swarm/unlockkey' }) }),
    swarmCommand({ name: 'update', usage: '[OPTIONS]', short: 'Update the swarm', args: noArgs, flags: [bool('autolock', 'Change manager autolocking setting (true|false)'), str('task-history-limit', 'Task history retention limit')], request: () => ({ method: 'GET', path: '/swarm' }) }),
    swarmCommand({ name: 'ca', usage: '[OPTIONS]', short: 'Display and rotate the root CA', args: noArgs, flags: [quietFlag, bool('rotate', 'Rotate the swarm CA')], request: () => ({ method: 'GET', path: '/swarm' }) }),
  ],
};

export const nodeGroup: CommandGroup = {
  name: 'node',
  short: 'Manage Swarm nodes',
  commands: [
    swarmCommand({ name: 'ls', usage: '[OPTIONS]', short: 'List nodes in the swarm', args: noArgs, flags: [filterFlag, formatFlag, quietFlag], request: () => ({ method: 'GET', path: '/nodes' }) }),
    swarmCommand({ name: 'inspect', inspect: true, usage: '[OPTIONS] self|NODE [NODE...]', short: 'Display detailed information on one or more nodes', args: minArgs(1), flags: [formatFlag, bool('pretty', 'Print the information in a human friendly format')], request: (f) => ({ method: 'GET', path: `/nodes/${enc(f.args[0]!)}` }) }),
    swarmCommand({ name: 'ps', usage: '[OPTIONS] [NODE...]', short: 'List tasks running on one or more nodes, defaults to current node', args: minArgs(0), flags: [filterFlag, formatFlag, quietFlag], request: (f) => ({ method: 'GET', path: `/nodes/${enc(f.args[0] ?? 'self')}` }) }),
    swarmCommand({ name: 'rm', usage: '[OPTIONS] NODE [NODE...]', short: 'Remove one or more nodes from the swarm', args: minArgs(1), flags: [bool('force', 'Force remove a node from the swarm', 'f')], request: (f) => ({ method: 'DELETE', path: `/nodes/${enc(f.args[0]!)}`, query: f.bool('force') ? { force: '1' } : undefined }) }),
    swarmCommand({ name: 'update', usage: '[OPTIONS] NODE', short: 'Update a node', args: exactArgs(1), flags: [str('availability', 'Availability of the node ("active", "pause", "drain")'), list('label-add', 'Add or update a node label ("key=value")'), list('label-rm', 'Remove a node label if exists'), str('role', 'Role of the node ("worker", "manager")')], request: (f) => ({ method: 'GET', path: `/nodes/${enc(f.args[0]!)}` }) }),
    swarmCommand({ name: 'promote', usage: 'NODE [NODE...]', short: 'Promote one or more nodes to manager in the swarm', args: minArgs(1), request: (f) => ({ method: 'GET', path: `/nodes/${enc(f.args[0]!)}` }) }),
    swarmCommand({ name: 'demote', usage: 'NODE [NODE...]', short: 'Demote one or more nodes from manager in the swarm', args: minArgs(1), request: (f) => ({ method: 'GET', path: `/nodes/${enc(f.args[0]!)}` }) }),
  ],
};

export const serviceGroup: CommandGroup = {
  name: 'service',
  short: 'Manage Swarm services',
  commands: [
    swarmCommand({
      name: 'create',
      usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
      short: 'Create a new service',
      args: minArgs(1),
      interspersed: false,
      flags: [bool('detach', 'Exit immediately instead of waiting for the service to converge', 'd'), list('env', 'Set environment variables', 'e'), str('mode', 'Service mode ("replicated", "global", "replicated-job", "global-job")'), list('mount', 'Attach a filesystem mount to the service'), str('name', 'Service name'), list('network', 'Network attachments'), list('publish', 'Publish a port as a node port', 'p'), str('replicas', 'Number of tasks'), list('constraint', 'Placement constraints'), str('hostname', 'Container hostname')],
      request: (f) => ({ method: 'POST', path: '/services/create', body: { Name: f.string('name'), TaskTemplate: { ContainerSpec: { Image: f.args[0], Args: f.args.slice(1), Env: f.list('env') } } } }),
    }),
    swarmCommand({ name: 'ls', usage: '[OPTIONS]', short: 'List services', args: noArgs, flags: [filterFlag, formatFlag, quietFlag], request: () => ({ method: 'GET', path: '/services' }) }),
    swarmCommand({ name: 'inspect', inspect: true, usage: '[OPTIONS] SERVICE [SERVICE...]', short: 'Display detailed information on one or more services', args: minArgs(1), flags: [formatFlag, bool('pretty', 'Print the information in a human friendly format')], request: (f) => ({ method: 'GET', path: `/services/${enc(f.args[0]!)}` }) }),
    swarmCommand({ name: 'ps', usage: '[OPTIONS] SERVICE [SERVICE...]', short: 'List the tasks of one or more services', args: minArgs(1), flags: [filterFlag, formatFlag, quietFlag], request: (f) => ({ method: 'GET', path: `/services/${enc(f.args[0]!)}` }) }),
    swarmCommand({ name: 'logs', usage: '[OPTIONS] SERVICE|TASK', short: 'Fetch the logs of a service or task', args: exactArgs(1), flags: [bool('follow', 'Follow log output', 'f'), str('tail', 'Number of lines to show from the end of the logs', 'n'), bool('timestamps', 'Show timestamps', 't')], request: (f) => ({ method: 'GET', path: `/services/${enc(f.args[0]!)}` }) }),
    swarmCommand({ name: 'rm', usage: 'SERVICE [SERVICE...]', short: 'Remove one or more services', args: minArgs(1), request: (f) => ({ method: 'DELETE', path: `/services/${enc(f.args[0]!)}` }) }),
    swarmCommand({ name: 'scale', usage: 'SERVICE=REPLICAS [SERVICE=REPLICAS...]', short: 'Scale one or multiple replicated services', args: minArgs(1), errorPrefix: (f) => `${f.args[0]!.split('=')[0]}: `, flags: [bool('detach', 'Exit immediately instead of waiting for the service to converge', 'd')], request: (f) => ({ method: 'GET', path: `/services/${enc(f.args[0]!.split('=')[0]!)}` }) }),
    swarmCommand({ name: 'update', usage: '[OPTIONS] SERVICE', short: 'Update a service', args: exactArgs(1), flags: [bool('detach', 'Exit immediately instead of waiting for the service to converge', 'd'), str('image', 'Service image tag'), str('replicas', 'Number of tasks'), bool('force', 'Force update even if no changes require it'), list('env-add', 'Add or update an environment variable')], request: (f) => ({ method: 'GET', path: `/services/${enc(f.args[0]!)}` }) }),
    swarmCommand({ name: 'rollback', usage: '[OPTIONS] SERVICE', short: "Revert changes to a service's configuration", args: exactArgs(1), flags: [bool('detach', 'Exit immediately instead of waiting for the service to converge', 'd')], request: (f) => ({ method: 'GET', path: `/services/${enc(f.args[0]!)}` }) }),
  ],
};
