// Image commands: `images`/`image ls` (rows per repository:tag with docker's columns and sizes) and
// `import` (a tarball streamed as the body of POST /images/create?fromSrc=-, printing the new ID).

import { createReadStream } from 'node:fs';
import { displayJSONMessages } from '../client.js';
import { listFormatHelp, rangeArgs, type Command } from '../command.js';
import { defaultImageTableFormat, defaultImageTableFormatWithDigest, imageHeader, imageRows, type ImageSummary } from '../format.js';
import { StatusError } from '../status-error.js';
import { filterFlag, filtersJSON, printRows } from './containers.js';

export const imagesCommand: Command = {
  name: 'images',
  usage: '[OPTIONS] [REPOSITORY[:TAG]]',
  short: 'List images',
  args: rangeArgs(0, 1),
  flags: [
    { name: 'all', short: 'a', kind: 'bool', help: 'Show all images (default hides intermediate images)' },
    { name: 'digests', kind: 'bool', help: 'Show digests' },
    filterFlag,
    { name: 'format', kind: 'string', help: listFormatHelp },
    { name: 'no-trunc', kind: 'bool', help: "Don't truncate output" },
    { name: 'quiet', short: 'q', kind: 'bool', help: 'Only show image IDs' },
    { name: 'tree', kind: 'bool', help: 'List multi-platform images as a tree (EXPERIMENTAL)' },
  ],
  async run(ctx, flags) {
    const filterValues = [...flags.list('filter')];
    // A positional REPOSITORY[:TAG] is the "reference" filter.
    if (flags.args[0]) filterValues.push(`reference=${flags.args[0]}`);
    const list = await ctx.client().json<ImageSummary[]>('GET', '/images/json', {
      query: { all: flags.bool('all') || undefined, filters: filtersJSON(filterValues) },
    });
    const quiet = flags.bool('quiet');
    const digests = flags.bool('digests');
    let format = flags.string('format') || (quiet ? '' : ctx.config.file().imagesFormat) || 'table';
    if (quiet) format = '{{.ID}}';
    else if (format === 'table') format = digests ? defaultImageTableFormatWithDigest : defaultImageTableFormat;
    else if (format.startsWith('table') && digests && !format.includes('{{.Digest}}')) format += '\t{{.Digest}}';
    const rows = imageRows(list, { trunc: !flags.bool('no-trunc'), digests, formatHasDigest: format.includes('{{.Digest}}') });
    printRows(ctx, format, rows, imageHeader, defaultImageTableFormat, { goType: '*formatter.imageContext' });
  },
};

export const importCommand: Command = {
  name: 'import',
  usage: '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
  short: 'Import the contents from a tarball to create a filesystem image',
  args: rangeArgs(1, 2),
  flags: [
    { name: 'change', short: 'c', kind: 'list', help: 'Apply Dockerfile instruction to the created image' },
    { name: 'message', short: 'm', kind: 'string', help: 'Set commit message for imported image' },
    { name: 'platform', kind: 'string', help: 'Set platform if server is multi-platform capable', default: process.env.DOCKER_DEFAULT_PLATFORM ?? '' },
  ],
  async run(ctx, flags) {
    const [source, ref] = flags.args as [string, string | undefined];
    let fromSrc = source;
    let body: NodeJS.ReadableStream | undefined;
    if (source === '-') body = ctx.stdin;
    else if (!/^https?:\/\//.test(source)) {
      fromSrc = '-';
      const stream = createReadStream(source);
      // Fail before talking to the daemon when the file cannot be read, as docker does.
      await new Promise<void>((resolve, reject) => {
        stream.once('open', () => resolve());
        stream.once('error', (err: NodeJS.ErrnoException) =>
          reject(new StatusError(`open ${source}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`, 1)),
        );
      });
      body = stream;
    }
    if (ref !== undefined && !/^[a-z0-9]([a-z0-9._\/:-]*)(@sha256:[a-f0-9]{64})?$/.test(ref)) {
      throw new StatusError(`invalid reference format: repository name (${ref}) must be lowercase`, 1);
    }
    const res = await ctx.client().request('POST', '/images/create', {
      query: {
        fromSrc,
        repo: ref,
        message: flags.string('message') || undefined,
        changes: flags.list('change'),
        platform: flags.string('platform') || undefined,
      },
      body,
      headers: body ? { 'Content-Type': 'application/x-tar' } : {},
    });
    await displayJSONMessages(res, ctx.stdout);
  },
};
