// `berth save` and `berth load`: image tarballs streamed between a file (or stdin/stdout) and the
// daemon (archive-output.ts owns where a saved tar goes).

import { createReadStream } from 'node:fs';
import { showProgress } from '../client.js';
import { minArgs, noArgs, type Command } from '../command.js';
import { StatusError } from '../status-error.js';
import { checkArchiveOutput, writeArchive } from './archive-output.js';

const platformHelp = (what: string): string => `${what} Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")`;

function platformQuery(p: string): string | undefined {
  if (!p) return undefined;
  const [os, architecture, variant] = p.split('/');
  return JSON.stringify({ os, architecture, variant });
}

export const saveCommand: Command = {
  name: 'save',
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  short: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
  args: minArgs(1),
  flags: [
    { name: 'output', short: 'o', kind: 'string', help: 'Write to a file, instead of STDOUT' },
    { name: 'platform', kind: 'string', help: platformHelp('Save only the given platform variant.') },
  ],
  async run(ctx, flags) {
    const output = flags.string('output');
    await checkArchiveOutput(ctx, output, 'failed to save image');
    const res = await ctx.client().request('GET', '/images/get', { query: { names: flags.args, platform: platformQuery(flags.string('platform')) } });
    await writeArchive(ctx, res, output);
  },
};

export const loadCommand: Command = {
  name: 'load',
  usage: '[OPTIONS]',
  short: 'Load an image from a tar archive or STDIN',
  args: noArgs,
  flags: [
    { name: 'input', short: 'i', kind: 'string', help: 'Read from tar archive file, instead of STDIN' },
    { name: 'platform', kind: 'string', help: platformHelp('Load only the given platform variant.') },
    { name: 'quiet', short: 'q', kind: 'bool', help: 'Suppress the load output' },
  ],
  async run(ctx, flags) {
    const input = flags.string('input');
    let body: NodeJS.ReadableStream;
    if (input) {
      const stream = createReadStream(input);
      await new Promise<void>((resolve, reject) => {
        stream.once('open', () => resolve());
        stream.once('error', (err: NodeJS.ErrnoException) =>
          reject(new StatusError(`open ${input}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`, 1)),
        );
      });
      body = stream;
    } else {
      if (ctx.stdin.isTTY) throw new StatusError('requested load from stdin, but stdin is empty', 1);
      body = ctx.stdin;
    }
    const res = await ctx.client().request('POST', '/images/load', {
      query: { quiet: flags.bool('quiet') || undefined, platform: platformQuery(flags.string('platform')) },
      body,
      headers: { 'Content-Type': 'application/x-tar' },
    });
    await showProgress(res, ctx.stdout);
  },
};
