// `berth save` and `berth load`: image tarballs streamed between a file (or stdin/stdout) and the
// daemon. save writes through a temporary file renamed into place, so a failure leaves no tar.

import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { displayJSONMessages } from '../client.js';
import { minArgs, noArgs, type Command } from '../command.js';
import { StatusError } from '../status-error.js';

const platformHelp = (what: string): string => `${what} Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")`;

function platformQuery(p: string): string | undefined {
  if (!p) return undefined;
  const [os, architecture, variant] = p.split('/');
  return JSON.stringify({ os, architecture, variant });
}

/** docker/cli's ValidateOutputPath: the file's directory exists and the file is not a directory. */
export async function checkOutputPath(output: string, what: string): Promise<void> {
  const dir = dirname(output);
  try {
    const st = await fs.stat(dir);
    if (!st.isDirectory()) throw Object.assign(new Error(), { code: 'ENOTDIR' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file or directory' : code === 'ENOTDIR' ? 'not a directory' : (err as Error).message;
    throw new StatusError(`${what}: invalid output path: stat ${dir}: ${why}`, 1);
  }
  if ((await fs.stat(output).catch(() => undefined))?.isDirectory()) throw new StatusError(`${what}: cannot write to a directory`, 1);
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
    if (output === '' && ctx.stdout.isTTY) throw new StatusError('cowardly refusing to save to a terminal. Use the -o flag or redirect', 1);
    if (output) await checkOutputPath(output, 'failed to save image');
    const res = await ctx.client().request('GET', '/images/get', { query: { names: flags.args, platform: platformQuery(flags.string('platform')) } });
    if (!output) {
      await pipeline(res, ctx.stdout, { end: false });
      return;
    }
    const tmp = join(dirname(output), `.${basename(output)}.berth-save-${process.pid}`);
    try {
      await pipeline(res, createWriteStream(tmp, { mode: 0o600 }));
      await fs.rename(tmp, output);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
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
    try {
      await displayJSONMessages(res, ctx.stdout);
    } catch (err) {
      throw new StatusError((err as Error).message, 1);
    }
  },
};
