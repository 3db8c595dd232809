// docker's pkg/jsonmessage rendering: the progress string, in-place redraws per id on a terminal,
// plain lines elsewhere, and stream errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressString, renderJSONMessages, type JSONMessage } from '../../../src/cli/jsonmessage.js';

async function* from(msgs: JSONMessage[]): AsyncGenerator<JSONMessage> {
  yield* msgs;
}

async function render(msgs: JSONMessage[], isTerminal: boolean, width = 200): Promise<{ out: string; error?: string }> {
  let out = '';
  const sink = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream;
  try {
    await renderJSONMessages(from(msgs), sink, { isTerminal, width, now: () => 1000 });
    return { out };
  } catch (err) {
    return { out, error: (err as Error).message };
  }
}

test('the progress string has a 50-cell bar on wide terminals only, sizes as units.HumanSize', () => {
  assert.equal(progressString({ current: 1_500_000, total: 3_000_000 }, 200, 0), `[${'='.repeat(25)}>${' '.repeat(25)}]    1.5MB/3MB`);
  assert.equal(progressString({ current: 1_500_000, total: 3_000_000 }, 110, 0), '   1.5MB/3MB');
  assert.equal(progressString({ current: 3_000_000, total: 3_000_000 }, 200, 0), `[${'='.repeat(50)}>]      3MB/3MB`);
  // A current past the total drops the total; no total at all prints the count alone.
  assert.equal(progressString({ current: 4096, total: 1000 }, 80, 0), ' 4.096kB');
  assert.equal(progressString({ current: 512 }, 200, 0), '    512B');
  assert.equal(progressString({ current: 3, total: 10, units: 'files' }, 80, 0), '3/10 files');
  assert.equal(progressString({}, 200, 0), '');
  // The ETA comes from the start time: 10 of 100 bytes in 5 s leaves 45 s.
  assert.equal(progressString({ current: 10, total: 100, start: 995 }, 80, 1000), '     10B/100B 45s');
});

test('on a terminal each id keeps its line: new ids add one, updates move up to it and back', async () => {
  const { out } = await render(
    [
      { status: 'Pulling from x', id: 'v1' },
      { status: 'Pulling fs layer', progressDetail: {}, id: 'aaa' },
      { status: 'Pulling fs layer', progressDetail: {}, id: 'bbb' },
      { status: 'Downloading', progressDetail: { current: 50, total: 100 }, id: 'aaa' },
      { status: 'Digest: sha256:00' },
    ],
    true,
    80,
  );
  assert.equal(
    out,
    'v1: Pulling from x\n' +
      '\n\x1b[1A\x1b[2K\raaa: Pulling fs layer \r\x1b[1B' +
      '\n\x1b[1A\x1b[2K\rbbb: Pulling fs layer \r\x1b[1B' +
      '\x1b[2A\x1b[2K\raaa: Downloading      50B/100B\r\x1b[2B' +
      'Digest: sha256:00\n',
  );
});

test('without a terminal byte counts are left out and status lines printed as they come', async () => {
  const { out } = await render(
    [
      { status: 'Pulling fs layer', progressDetail: {}, id: 'aaa' },
      { status: 'Downloading', progressDetail: { current: 50, total: 100 }, progress: '[==>  ]', id: 'aaa' },
      { status: 'Pull complete', progressDetail: {}, id: 'aaa' },
      { stream: 'Step 1/2 : FROM x\n' },
      { aux: { ID: 'sha256:00' } },
    ],
    false,
  );
  assert.equal(out, 'aaa: Pulling fs layer\naaa: Pull complete\nStep 1/2 : FROM x\n');
});

test('an error message ends the stream with its text; 401 reads as docker words it', async () => {
  const r = await render([{ status: 'Pulling' }, { errorDetail: { message: 'manifest unknown' }, error: 'manifest unknown' }, { status: 'never' }], false);
  assert.equal(r.out, 'Pulling\n');
  assert.equal(r.error, 'manifest unknown');
  const auth = await render([{ errorDetail: { code: 401, message: 'unauthorized' }, error: 'unauthorized' }], true);
  assert.equal(auth.error, 'authentication is required');
});
