// `berth restart|pause|unpause|rename`: one request per container as docker/cli sends them, with
// its per-name output lines and its error aggregation.

import { exactArgs, minArgs, type Command } from '../command.js';
import { StatusError } from '../status-error.js';
import { forEach, stopFlags, stopQuery } from './containers.js';
import { cpath } from './container-path.js';

export const restartCommand: Command = {
  name: 'restart',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Restart one or more containers',
  args: minArgs(1),
  flags: stopFlags,
  async run(ctx, flags) {
    await forEach(ctx, flags.args, async (name) => {
      (await ctx.client().request('POST', `${cpath(name)}/restart`, { query: stopQuery(flags) })).resume();
    });
  },
};

function simple(name: string, short: string, action: string): Command {
  return {
    name,
    usage: 'CONTAINER [CONTAINER...]',
    short,
    args: minArgs(1),
    flags: [],
    async run(ctx, flags) {
      await forEach(ctx, flags.args, async (c) => {
        (await ctx.client().request('POST', `${cpath(c)}/${action}`)).resume();
      });
    },
  };
}

export const pauseCommand = simple('pause', 'Pause all processes within one or more containers', 'pause');
export const unpauseCommand = simple('unpause', 'Unpause all processes within one or more containers', 'unpause');

export const renameCommand: Command = {
  name: 'rename',
  usage: 'CONTAINER NEW_NAME',
  short: 'Rename a container',
  args: exactArgs(2),
  flags: [],
  async run(ctx, flags) {
    const oldName = flags.args[0]!.trim();
    const newName = flags.args[1]!.trim();
    if (oldName === '' || newName === '') throw new StatusError('Error: Neither old nor new names may be empty', 1);
    try {
      (await ctx.client().request('POST', `${cpath(oldName)}/rename`, { query: { name: newName } })).resume();
    } catch (err) {
      ctx.stderr.write((err as Error).message + '\n');
      throw new StatusError(`Error: failed to rename container named ${oldName}`, 1);
    }
  },
};
