// `berth exec`: create an exec instance, start it over a hijacked connection (or detached), then
// read its exit code from the exec's inspect data and exit with it, as docker exec does.

import { minArgs, type Command } from '../command.js';
import { readKVEnvStrings, validateEnv } from '../opts/env.js';
import { checkedDetachKeys, monitorTtySize, streamHijacked } from '../attach.js';
import { cpath } from './container-path.js';
import { StatusError } from '../status-error.js';

export const execCommand: Command = {
  name: 'exec',
  usage: '[OPTIONS] CONTAINER COMMAND [ARG...]',
  short: 'Execute a command in a running container',
  args: minArgs(2),
  interspersed: false,
  flags: [
    { name: 'detach', short: 'd', kind: 'bool', help: 'Detached mode: run command in the background' },
    { name: 'detach-keys', kind: 'string', help: 'Override the key sequence for detaching a container' },
    { name: 'env', short: 'e', kind: 'list', help: 'Set environment variables', parse: (v) => validateEnv(v) },
    { name: 'env-file', kind: 'list', help: 'Read in a file of environment variables' },
    { name: 'interactive', short: 'i', kind: 'bool', help: 'Keep STDIN open even if not attached' },
    { name: 'privileged', kind: 'bool', help: 'Give extended privileges to the command' },
    { name: 'tty', short: 't', kind: 'bool', help: 'Allocate a pseudo-TTY' },
    { name: 'user', short: 'u', kind: 'string', help: 'Username or UID (format: "<name|uid>[:<group|gid>]")' },
    { name: 'workdir', short: 'w', kind: 'string', help: 'Working directory inside the container' },
  ],
  async run(ctx, flags) {
    const [container, ...cmd] = flags.args as [string, ...string[]];
    const detach = flags.bool('detach');
    const tty = flags.bool('tty');
    const stdin = flags.bool('interactive');
    let env: string[];
    try {
      env = readKVEnvStrings(flags.list('env-file'), flags.list('env'));
    } catch (err) {
      throw new StatusError((err as Error).message, 1);
    }
    const detachKeys = checkedDetachKeys(ctx, flags.string('detach-keys'));
    if (!detach && tty && stdin && !ctx.stdin.isTTY) throw new StatusError('the input device is not a TTY', 1);
    const client = ctx.client();
    const consoleSize = tty && ctx.stdout.isTTY ? [ctx.stdout.rows ?? 0, ctx.stdout.columns ?? 0] : undefined;
    const created = await client.json<{ Id: string }>('POST', `${cpath(container)}/exec`, {
      body: {
        User: flags.string('user'),
        Privileged: flags.bool('privileged'),
        Tty: tty,
        ConsoleSize: consoleSize,
        AttachStdin: stdin && !detach,
        AttachStdout: !detach,
        AttachStderr: !detach,
        DetachKeys: detachKeys.requested,
        Env: env.length ? env : null,
        WorkingDir: flags.string('workdir'),
        Cmd: cmd,
      },
    });
    const execPath = `/exec/${encodeURIComponent(created.Id)}`;
    if (detach) {
      const res = await client.request('POST', `${execPath}/start`, { body: { Detach: true, Tty: tty, ConsoleSize: consoleSize } });
      res.resume();
      return 0;
    }
    const socket = await client.hijack('POST', `${execPath}/start`, { body: { Detach: false, Tty: tty, ConsoleSize: consoleSize } });
    const stopResize = tty ? monitorTtySize(ctx, `${execPath}/resize`) : () => {};
    try {
      const how = await streamHijacked(ctx, socket, { tty, attachStdin: stdin, attachStdout: true, attachStderr: true, detachKeys: detachKeys.keys });
      if (how === 'detached') return 0;
    } finally {
      stopResize();
    }
    const info = await client.json<{ ExitCode: number | null; Running?: boolean }>('GET', `${execPath}/json`);
    return info.ExitCode ?? 0;
  },
};
