// The berth command tree and entry point: global flags (-H …), top-level commands and their
// `container …` / `image …` long forms, help output, argument-count checks, and the one place that
// prints errors and turns them into Docker's exit codes (125 usage, 1 errors, container codes).

import { ConnectionError, DaemonError, EngineClient } from './client.js';
import type { ArgRule, Command, CommandContext, CommandGroup } from './command.js';
import { FlagError, formatFlagUsages, parseFlags, type FlagSpec } from './flags.js';
import { StatusError } from './status-error.js';
import { tlsFlagValues } from './tls.js';
import { CliConfig, engineClientFor } from './config/cli-config.js';
import { dialStdioCommand } from './commands/dial-stdio.js';
import { certsCreateCommand } from './commands/certs.js';
import { createCommand, runCommand } from './commands/run.js';
import { killCommand, logsCommand, psCommand, rmCommand, startCommand, stopCommand, waitCommand } from './commands/containers.js';
import { execCommand } from './commands/exec.js';
import { imagesCommand, importCommand } from './commands/images.js';
import { loginCommand, logoutCommand, pullCommand, pushCommand } from './commands/distribution.js';
import { buildCommand } from './commands/build.js';
import { containerInspectCommand, imageInspectCommand, inspectCommand } from './commands/inspect.js';
import { bootstrapCommand, infoCommand, versionCommand } from './commands/system.js';
import { statsCommand, updateCommand } from './commands/stats.js';
import { volumeGroup } from './commands/volume.js';
import { networkGroup } from './commands/network.js';
import { pauseCommand, renameCommand, restartCommand, unpauseCommand } from './commands/container-state.js';
import { diffCommand, portCommand, topCommand } from './commands/container-info.js';
import { commitCommand, cpCommand, exportCommand } from './commands/container-fs.js';
import { historyCommand, rmiCommand, tagCommand } from './commands/image-tags.js';
import { loadCommand, saveCommand } from './commands/image-archive.js';
import { containerPruneCommand, imagePruneCommand, systemPruneCommand } from './commands/prune.js';
import { attachCommand } from './commands/attach.js';
import { eventsCommand } from './commands/events.js';
import { systemDfCommand } from './commands/system-df.js';
import { contextGroup } from './commands/context.js';
import { nodeGroup, serviceGroup, swarmGroup } from './commands/swarm.js';
import { makeCompletionCommand } from './commands/completion.js';

const globalFlags: FlagSpec[] = [
  { name: 'config', kind: 'string', help: 'Location of client config files', default: `${process.env.HOME ?? '/root'}/.docker` },
  { name: 'context', short: 'c', kind: 'string', help: 'Name of the context to use to connect to the daemon (overrides DOCKER_HOST env var and default context set with "docker context use")' },
  { name: 'debug', short: 'D', kind: 'bool', help: 'Enable debug mode' },
  { name: 'host', short: 'H', kind: 'list', help: 'Daemon socket to connect to' },
  { name: 'log-level', short: 'l', kind: 'string', help: 'Set the logging level ("debug", "info", "warn", "error", "fatal")', default: 'info' },
  { name: 'tls', kind: 'bool', help: 'Use TLS; implied by --tlsverify' },
  { name: 'tlscacert', kind: 'string', help: 'Trust certs signed only by this CA' },
  { name: 'tlscert', kind: 'string', help: 'Path to TLS certificate file' },
  { name: 'tlskey', kind: 'string', help: 'Path to TLS key file' },
  { name: 'tlsverify', kind: 'bool', help: 'Use TLS and verify the remote' },
  { name: 'version', short: 'v', kind: 'bool', help: 'Print version information and quit' },
];

// Reads the tree lazily: the tables below are complete by the time a script is generated.
const completionCommand = makeCompletionCommand(() => ({ globalFlags, topLevel, groups, aliases: aliasNames }));

/** The "Common Commands" of the root help, in Docker's order. */
const commonNames = ['run', 'exec', 'ps', 'build', 'pull', 'push', 'images', 'login', 'logout', 'version', 'info'];

const topLevel: Command[] = [
  runCommand,
  execCommand,
  psCommand,
  buildCommand,
  pullCommand,
  pushCommand,
  imagesCommand,
  loginCommand,
  logoutCommand,
  versionCommand,
  infoCommand,
  attachCommand,
  bootstrapCommand,
  commitCommand,
  completionCommand,
  cpCommand,
  createCommand,
  diffCommand,
  eventsCommand,
  exportCommand,
  historyCommand,
  importCommand,
  inspectCommand,
  killCommand,
  loadCommand,
  logsCommand,
  pauseCommand,
  portCommand,
  renameCommand,
  restartCommand,
  rmCommand,
  rmiCommand,
  saveCommand,
  startCommand,
  statsCommand,
  stopCommand,
  tagCommand,
  topCommand,
  unpauseCommand,
  updateCommand,
  waitCommand,
];

const containerGroup: CommandGroup = {
  name: 'container',
  short: 'Manage containers',
  commands: [
    attachCommand,
    commitCommand,
    cpCommand,
    createCommand,
    diffCommand,
    execCommand,
    exportCommand,
    containerInspectCommand,
    killCommand,
    logsCommand,
    { ...psCommand, name: 'ls' },
    pauseCommand,
    portCommand,
    containerPruneCommand,
    renameCommand,
    restartCommand,
    rmCommand,
    runCommand,
    startCommand,
    statsCommand,
    stopCommand,
    topCommand,
    unpauseCommand,
    updateCommand,
    waitCommand,
  ],
};

const imageGroup: CommandGroup = {
  name: 'image',
  short: 'Manage images',
  commands: [
    buildCommand,
    historyCommand,
    importCommand,
    imageInspectCommand,
    loadCommand,
    { ...imagesCommand, name: 'ls', usage: '[OPTIONS] [REPOSITORY[:TAG]]' },
    imagePruneCommand,
    pullCommand,
    pushCommand,
    { ...rmiCommand, name: 'rm' },
    saveCommand,
    tagCommand,
  ],
};

const systemGroup: CommandGroup = { name: 'system', short: 'Manage Berth', commands: [systemDfCommand, eventsCommand, infoCommand, systemPruneCommand, dialStdioCommand] };

const certsGroup: CommandGroup = { name: 'certs', short: 'Create TLS certificates for the API socket (Berth only)', commands: [certsCreateCommand] };

/** docker lists these apart, under "Swarm Commands". */
const swarmGroups: CommandGroup[] = [nodeGroup, serviceGroup, swarmGroup];

const groups: CommandGroup[] = [containerGroup, imageGroup, networkGroup, systemGroup, volumeGroup, certsGroup, contextGroup, ...swarmGroups];

/** Aliases docker lists in help ("docker container ls, docker container list, docker container ps, docker ps"). */
const aliasNames: Record<string, string[]> = {
  'container ls': ['list', 'ps'],
  'image ls': ['list'],
  'image rm': ['remove'],
  'network ls': ['list'],
  'network rm': ['remove'],
  'volume ls': ['list'],
  'volume rm': ['remove'],
  'container rm': ['remove'],
  'context ls': ['list'],
  'context rm': ['remove'],
};

function findInGroup(group: CommandGroup, name: string): Command | undefined {
  return group.commands.find((c) => c.name === name || (aliasNames[`${group.name} ${c.name}`] ?? []).includes(name));
}

function usageLine(path: string, cmd: Command): string {
  // A second usage form ("\t{path} …") names the command the way the user spelled it.
  return `Usage:  ${path}${cmd.usage ? ' ' + cmd.usage.replaceAll('{path}', path) : ''}`;
}

/** docker wraps help at the terminal's width (80 columns when not on a terminal). */
function helpColumns(out: { isTTY?: boolean; columns?: number }): number {
  return out.isTTY && out.columns ? out.columns : 80;
}

function commandHelp(path: string, cmd: Command, columns: number): string {
  const aliases = aliasesOf(cmd);
  let out = `${usageLine(path, cmd)}\n\n${cmd.long ?? cmd.short}\n`;
  if (aliases.length > 1) out += `\nAliases:\n  ${aliases.join(', ')}\n`;
  const options = formatFlagUsages(cmd.flags, columns);
  if (options) out += `\nOptions:\n${options}\n`;
  return out;
}

function aliasesOf(cmd: Command): string[] {
  const out: string[] = [];
  for (const g of groups) {
    for (const c of g.commands) {
      if (c.run !== cmd.run) continue;
      out.push(`berth ${g.name} ${c.name}`);
      for (const a of aliasNames[`${g.name} ${c.name}`] ?? []) out.push(`berth ${g.name} ${a}`);
    }
  }
  for (const c of topLevel) if (c.run === cmd.run) out.push(`berth ${c.name}`);
  return out;
}

function rootHelp(columns: number): string {
  const list = (cmds: { name: string; short: string }[]): string => cmds.map((c) => `  ${c.name.padEnd(11)} ${c.short}`).join('\n');
  const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const common = commonNames.map((n) => topLevel.find((c) => c.name === n)!);
  const others = topLevel.filter((c) => !commonNames.includes(c.name)).sort(byName);
  const managed = [...groups.filter((g) => !swarmGroups.includes(g)), { name: 'registry', short: 'Run a container image registry (Berth only)' }].sort(byName);
  return `Usage:  berth [OPTIONS] COMMAND

A self-sufficient runtime for containers

Common Commands:
${list(common)}

Management Commands:
${list(managed)}

Swarm Commands:
${list(swarmGroups)}

Commands:
${list(others)}

Global Options:
${formatFlagUsages(globalFlags, columns)}

Run 'berth COMMAND --help' for more information on a command.
`;
}

function groupHelp(group: CommandGroup): string {
  const cmds = group.commands.filter((c) => !c.hidden).sort((a, b) => (a.name < b.name ? -1 : 1));
  return `Usage:  berth ${group.name} COMMAND

${group.short}

Commands:
${cmds.map((c) => `  ${c.name.padEnd(11)} ${c.short}`).join('\n')}

Run 'berth ${group.name} COMMAND --help' for more information on a command.
`;
}

function plural(n: number): string {
  return n === 1 ? 'argument' : 'arguments';
}

/** docker/cli's cli.NoArgs / RequiresMinArgs / ExactArgs / RequiresRangeArgs messages (exit 1). */
export function checkArgs(path: string, cmd: Command, rule: ArgRule, n: number): void {
  let problem: string | undefined;
  let verb = 'See';
  switch (rule.kind) {
    case 'none':
      if (n > 0) {
        problem = 'accepts no arguments';
        verb = 'Run';
      }
      break;
    case 'min':
      if (n < rule.n) problem = `requires at least ${rule.n} ${plural(rule.n)}`;
      break;
    case 'exact':
      if (n !== rule.n) {
        problem = `requires ${rule.n} ${plural(rule.n)}`;
        verb = 'Run';
      }
      break;
    case 'range':
      if (n < rule.min || n > rule.max) {
        problem = rule.min === 0 ? `requires at most ${rule.max} ${plural(rule.max)}` : `requires at least ${rule.min} and at most ${rule.max} ${plural(rule.max)}`;
      }
      break;
  }
  if (problem) {
    throw new StatusError(`berth: '${path}' ${problem}\n\n${usageLine(path, cmd)}\n\n${verb} '${path} --help' for more information`, 1);
  }
}

export interface MainIO {
  stdin?: CommandContext['stdin'];
  stdout?: CommandContext['stdout'];
  stderr?: NodeJS.WritableStream;
  env?: NodeJS.ProcessEnv;
}

async function runCommandLine(argv: string[], io: MainIO): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const env = io.env ?? process.env;

  let global;
  try {
    global = parseFlags(globalFlags, argv, { interspersed: false });
  } catch (err) {
    if (err instanceof FlagError) {
      throw new StatusError(`${err.message}\n\nUsage:  berth [OPTIONS] COMMAND [ARG...]\n\nRun 'berth --help' for more information`, 125);
    }
    throw err;
  }
  if (global.bool('version')) {
    const v = await versionString();
    stdout.write(v + '\n');
    return 0;
  }
  let [name, ...rest] = global.args;
  if (name === undefined || (name === 'help' && rest.length === 0) || global.bool('help')) {
    stdout.write(rootHelp(helpColumns(stdout)));
    return 0;
  }
  if (name === 'registry') {
    const { registryCommand } = await import('../distribution/registry/cli.js');
    return registryCommand(rest);
  }

  let cmd: Command | undefined;
  let path: string;
  const group = groups.find((g) => g.name === name);
  if (group) {
    const sub = rest[0];
    if (sub === undefined || sub === '--help' || sub === 'help') {
      stdout.write(groupHelp(group));
      return 0;
    }
    cmd = findInGroup(group, sub);
    if (!cmd) {
      throw new StatusError(`berth: unknown command: berth ${group.name} ${sub}\n\nUsage:  berth ${group.name}\n\nRun 'berth ${group.name} --help' for more information`, 1);
    }
    path = `berth ${group.name} ${sub}`;
    rest = rest.slice(1);
  } else {
    cmd = topLevel.find((c) => c.name === name);
    if (!cmd) throw new StatusError(`berth: unknown command: berth ${name}\n\nRun 'berth --help' for more information`, 1);
    path = `berth ${name}`;
  }

  let flags;
  try {
    flags = parseFlags(cmd.flags, rest, { interspersed: cmd.interspersed ?? true });
  } catch (err) {
    if (err instanceof FlagError) {
      throw new StatusError(`${err.message}\n\n${usageLine(path, cmd)}\n\nRun '${path} --help' for more information`, 125);
    }
    throw err;
  }
  if (flags.bool('help')) {
    stdout.write(commandHelp(path, cmd, helpColumns(stdout)));
    return 0;
  }
  checkArgs(path, cmd, cmd.args, flags.args.length);

  let client: EngineClient | undefined;
  const hosts = global.list('host');
  if (hosts.length > 1) throw new StatusError('Specify only one -H', 1);
  const config = new CliConfig({
    configFlag: global.changed('config') ? global.string('config') : undefined,
    hosts,
    context: global.string('context') || undefined,
    tls: tlsFlagValues(global),
    env,
    warn: (line) => stderr.write(line + '\n'),
  });
  const ctx: CommandContext = {
    client: () => (client ??= engineClientFor(config)),
    stdin: io.stdin ?? process.stdin,
    stdout,
    stderr,
    env,
    commandPath: path,
    config,
  };
  try {
    const code = await cmd.run(ctx, flags);
    return code ?? 0;
  } finally {
    client?.close();
  }
}

async function versionString(): Promise<string> {
  const { readFileSync } = await import('node:fs');
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return `Berth version ${pkg.version ?? 'dev'}`;
  } catch {
    return 'Berth version dev';
  }
}

/** Runs one command line and returns the exit code; errors are printed to stderr as docker does. */
export async function main(argv: string[], io: MainIO = {}): Promise<number> {
  const stderr = io.stderr ?? process.stderr;
  try {
    return await runCommandLine(argv, io);
  } catch (err) {
    if (err instanceof StatusError) {
      if (err.message) stderr.write(err.message + '\n');
      return err.code;
    }
    if (err instanceof DaemonError || err instanceof ConnectionError || err instanceof Error) {
      stderr.write(err.message + '\n');
      return 1;
    }
    stderr.write(String(err) + '\n');
    return 1;
  }
}

/** The process entry point bin/berth calls: runs argv and exits with the command's code. */
export async function runAsProcess(argv: string[] = process.argv.slice(2)): Promise<never> {
  const code = await main(argv);
  // Hijacked sessions may leave stdin or a SIGWINCH listener holding the event loop open.
  process.exit(code);
}
