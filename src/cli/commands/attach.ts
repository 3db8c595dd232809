// `berth attach`: joins the terminal to a running container's stdio (docker/cli's attach: refuses
// stopped and paused containers, waits on the container so the exit code is the container's).

import { exactArgs, type Command } from '../command.js';
import { detachKeysOf, monitorTtySize, readWaitResult, streamHijacked } from '../attach.js';
import { StatusError } from '../status-error.js';
import { cpath } from './container-path.js';

export const attachCommand: Command = {
  name: 'attach',
  usage: '[OPTIONS] CONTAINER',
  short: 'Attach local standard input, output, and error streams to a running container',
  args: exactArgs(1),
  flags: [
    { name: 'detach-keys', kind: 'string', help: 'Override the key sequence for detaching a container' },
    { name: 'no-stdin', kind: 'bool', help: 'Do not attach STDIN' },
    { name: 'sig-proxy', kind: 'bool', help: 'Proxy all received signals to the process', default: true },
  ],
  async run(ctx, flags) {
    const client = ctx.client();
    const info = await client.json<{ Id: string; Config: { Tty: boolean; OpenStdin: boolean }; State: { Running: boolean; Paused: boolean; Restarting: boolean } }>(
      'GET',
      `${cpath(flags.args[0]!)}/json`,
    );
    if (!info.State.Running) throw new StatusError('You cannot attach to a stopped container, start it first', 1);
    if (info.State.Paused) throw new StatusError('You cannot attach to a paused container, unpause it first', 1);
    if (info.State.Restarting) throw new StatusError('You cannot attach to a restarting container, wait until it is running', 1);
    const tty = info.Config.Tty;
    const stdin = !flags.bool('no-stdin') && info.Config.OpenStdin;
    if (tty && stdin && !ctx.stdin.isTTY) throw new StatusError('the input device is not a TTY', 1);
    const detachKeys = detachKeysOf(ctx, flags.string('detach-keys'));
    // The wait goes first so an exit during the attach is not missed.
    const { response } = await client.begin('POST', `${cpath(info.Id)}/wait`, { query: { condition: 'not-running' } });
    const socket = await client.hijack('POST', `${cpath(info.Id)}/attach`, {
      query: { stream: true, stdin, stdout: true, stderr: true, detachKeys: detachKeys.requested },
    });
    const stopResize = tty ? monitorTtySize(ctx, `${cpath(info.Id)}/resize`) : () => {};
    try {
      const how = await streamHijacked(ctx, socket, { tty, attachStdin: stdin, attachStdout: true, attachStderr: true, detachKeys: detachKeys.keys });
      if (how === 'detached') return 0;
      return (await readWaitResult(await response)).StatusCode ?? 0;
    } finally {
      stopResize();
    }
  },
};
